//! One limit for every way a request body arrives: declared (`Content-Length`), chunked,
//! HTTP/2 frames without a declared length, and compressed. The body is read here, before
//! any handler, authentication or parsing sees it:
//!
//! - a declared length over the limit is refused at once (413), before a byte is read;
//! - a `Content-Encoding` this service decodes (gzip, deflate, br, zstd) is decoded here, and
//!   the limit applies to the decoded bytes: decompression stops as soon as it is crossed, so
//!   a small compressed "bomb" never expands in memory;
//! - any other content coding, or a stack of several, is refused (415, with the
//!   `Accept-Encoding` the service takes, RFC 9110 section 15.5.16);
//! - reading the body has a deadline (408): a client trickling its body does not hold a
//!   request open for ever;
//! - undecodable compressed data is a 400.
//!
//! The handler then receives the decoded bytes with an exact `Content-Length` and no
//! `Content-Encoding`, so nothing after this layer decodes again.

use std::sync::Arc;
use std::time::Duration;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder, ZstdDecoder};
use poem::error::ReadBodyError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Request};
use tokio::io::{AsyncRead, BufReader};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The content codings a request body may use, as `Accept-Encoding` lists them.
pub(crate) const ACCEPTED_CODINGS: &str = "gzip, deflate, br, zstd";

/// The largest zstd window a request may ask for (2^23 = 8 MiB, what zstd's own levels use
/// up to level 19): a frame cannot make the decoder reserve more.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// How much of a request body is read, for how long, and how much of all bodies together.
#[derive(Debug, Clone)]
pub(crate) struct BodyLimits {
    /// Most bytes of (decoded) body accepted.
    max_bytes: usize,
    /// Longest time reading the whole body may take.
    read_timeout: Duration,
    /// Memory for the bodies being read or handled, in KiB, shared by every request.
    memory_kib: Arc<Semaphore>,
}

impl BodyLimits {
    pub(crate) fn new(max_bytes: usize, read_timeout: Duration, memory_bytes: usize) -> Self {
        let kib = memory_bytes.div_ceil(1024).clamp(1, Semaphore::MAX_PERMITS);
        Self {
            max_bytes,
            read_timeout,
            memory_kib: Arc::new(Semaphore::new(kib)),
        }
    }
}

/// A content coding the service decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    /// The body's coding: `Ok(None)` for none (or `identity`), `Err` for one not decoded here
    /// or for more than one.
    fn of(request: &Request) -> Result<Option<Self>, ()> {
        let mut codings = request
            .headers()
            .get_all(header::CONTENT_ENCODING)
            .iter()
            .map(|value| value.to_str().map_err(|_| ()))
            .collect::<Result<Vec<_>, ()>>()?
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
        let Some(first) = codings.next() else {
            return Ok(None);
        };
        if codings.next().is_some() {
            return Err(());
        }
        let coding = match first.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Self::Gzip,
            "deflate" => Self::Deflate,
            "br" => Self::Brotli,
            "zstd" => Self::Zstd,
            _ => return Err(()),
        };
        Ok(Some(coding))
    }

    fn decode(self, body: Body) -> Body {
        let compressed = BufReader::new(body.into_async_read());
        let decoded: Box<dyn AsyncRead + Send + Unpin> = match self {
            Self::Gzip => Box::new(GzipDecoder::new(compressed)),
            // RFC 9110, section 8.4.1.2: "deflate" is the zlib format (RFC 1950).
            Self::Deflate => Box::new(ZlibDecoder::new(compressed)),
            Self::Brotli => Box::new(BrotliDecoder::new(compressed)),
            Self::Zstd => Box::new(ZstdDecoder::with_params(
                compressed,
                &[async_compression::zstd::DParameter::window_log_max(
                    ZSTD_WINDOW_LOG_MAX,
                )],
            )),
        };
        Body::from_async_read(decoded)
    }
}

/// Whether the request carries a body to read (a bodiless request skips [`read_bounded`],
/// and its future).
pub(crate) fn has_body(request: &mut Request) -> bool {
    let body = request.take_body();
    let has_body = !body.is_empty();
    request.set_body(body);
    has_body
}

/// Reads the request's body within `limits` (see the module documentation) and puts the
/// decoded bytes back in the request; returns the body's share of the memory for all bodies,
/// to hold until the answer is ready.
pub(crate) async fn read_bounded(
    request: &mut Request,
    limits: &BodyLimits,
) -> poem::Result<Option<OwnedSemaphorePermit>> {
    let too_large = || {
        poem::Error::from_string(
            format!("the request body is larger than {} bytes", limits.max_bytes),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_bytes as u64) {
        return Err(too_large());
    }
    let body = request.take_body();
    if body.is_empty() {
        request.set_body(body);
        return Ok(None);
    }
    // The body's share of the memory for all bodies, held until the answer is ready: what it
    // declared, else (unknown, or compressed) the most it may be. None left: 503, and the
    // client retries.
    let reserved = match declared {
        Some(length) if !request.headers().contains_key(header::CONTENT_ENCODING) => {
            usize::try_from(length).unwrap_or(limits.max_bytes)
        }
        _ => limits.max_bytes,
    };
    let kib = u32::try_from(reserved.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    let Ok(memory) = limits.memory_kib.clone().try_acquire_many_owned(kib) else {
        let mut refusal = poem::Error::from_string(
            "the service is receiving too many request bodies at once; retry shortly",
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .into_response();
        refusal
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Err(poem::Error::from_response(refusal));
    };
    let Ok(coding) = Coding::of(request) else {
        let mut refusal = poem::Error::from_string(
            format!("the request body's Content-Encoding is not one of: {ACCEPTED_CODINGS}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .into_response();
        refusal.headers_mut().insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPTED_CODINGS),
        );
        return Err(poem::Error::from_response(refusal));
    };
    let body = match coding {
        Some(coding) => coding.decode(body),
        None => body,
    };
    let bytes =
        match tokio::time::timeout(limits.read_timeout, body.into_bytes_limit(limits.max_bytes))
            .await
        {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(ReadBodyError::PayloadTooLarge)) => return Err(too_large()),
            Ok(Err(_)) if coding.is_some() => {
                return Err(poem::Error::from_string(
                    "the request body could not be decoded with its Content-Encoding",
                    StatusCode::BAD_REQUEST,
                ));
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_elapsed) => {
                return Err(poem::Error::from_string(
                    "the request body was not received in time",
                    StatusCode::REQUEST_TIMEOUT,
                ));
            }
        };
    let headers = request.headers_mut();
    headers.remove(header::CONTENT_ENCODING);
    headers.remove(header::TRANSFER_ENCODING);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    request.set_body(bytes);
    Ok(Some(memory))
}
