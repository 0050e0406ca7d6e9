//! Inline SVG bar charts for the HTML report (latency percentiles, the latency histogram).
//! Plain SVG written from Rust, so the report needs no script and no network to be read.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 42.0;

/// Text for SVG and HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Axis ticks from 0 to at least `max`, at a round step (1, 2 or 5 times a power of ten).
pub fn ticks(max: f64, wanted: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let rough = max / wanted.max(1) as f64;
    let magnitude = 10_f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * magnitude);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

fn tick_label(value: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{value:.0}")
    } else if step >= 0.1 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn open_svg(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title>",
        title = escape(title)
    );
}

/// Horizontal grid lines and labels for `y_ticks`, and the axis titles.
fn frame(
    out: &mut String,
    y_ticks: &[f64],
    x_label: &str,
    y_label: &str,
) -> impl Fn(f64) -> f64 + use<> {
    let y_max = y_ticks.last().copied().unwrap_or(1.0);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let y_of = move |value: f64| TOP + plot_height * (1.0 - value / y_max);
    let step = y_ticks.get(1).copied().unwrap_or(1.0);
    for tick in y_ticks {
        let y = y_of(*tick);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            tick_label(*tick, step)
        );
    }
    let _ = write!(
        out,
        "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text class=\"axis\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0,
        escape(x_label),
        TOP + plot_height / 2.0,
        escape(y_label)
    );
    y_of
}

/// A bar chart: one bar per `(label, value)`, labels under every few bars.
pub fn bar_chart(title: &str, bars: &[(String, f64)], x_label: &str, y_label: &str) -> String {
    let y_max = bars.iter().map(|(_, value)| *value).fold(0.0, f64::max);
    let y_ticks = ticks(y_max, 5);
    let mut out = String::new();
    open_svg(&mut out, title);
    let y_of = frame(&mut out, &y_ticks, x_label, y_label);
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let label_every = bars.len().div_ceil(10).max(1);
    for (index, (label, value)) in bars.iter().enumerate() {
        let x = LEFT + index as f64 * slot;
        let top = y_of(*value);
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\">\
             <title>{}: {value}</title></rect>",
            x + slot * 0.1,
            slot * 0.8,
            (HEIGHT - BOTTOM - top).max(0.0),
            escape(label)
        );
        if index % label_every == 0 {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot / 2.0,
                HEIGHT - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        let close = |actual: Vec<f64>, expected: &[f64]| {
            actual.len() == expected.len()
                && actual
                    .iter()
                    .zip(expected)
                    .all(|(a, e)| (a - e).abs() < 1e-9)
        };
        assert!(close(ticks(9.3, 5), &[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]));
        assert!(close(ticks(0.42, 4), &[0.0, 0.2, 0.4, 0.6]));
        assert!(
            close(ticks(0.0, 5), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            "empty data: 0 to 1"
        );
        assert!(close(
            ticks(250.0, 5),
            &[0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
        ));
        assert_eq!(ticks(260.0, 5).last(), Some(&300.0));
    }

    #[test]
    fn charts_are_svg_with_escaped_text() {
        let bars = [("1.0 <ms>".to_owned(), 5.0), ("2.0".to_owned(), 0.0)];
        let svg = bar_chart("a & b", &bars, "ms", "requests");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a &amp; b") && svg.contains("1.0 &lt;ms&gt;"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
    }
}
