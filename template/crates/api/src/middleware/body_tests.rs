//! The request body layer through a real server on 127.0.0.1: compressed bombs in every
//! coding, h2c bodies without a length, bodies that trickle in, and the shared memory budget.

use super::tests::{futures_chunks, options, problem, serve};
use super::*;

/// `size` bytes of `a`, compressed with `coding` (a "bomb" when large: it compresses ~1000:1).
async fn compressed(coding: &str, size: usize) -> Vec<u8> {
    use async_compression::Level;
    use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZlibEncoder, ZstdEncoder};
    use tokio::io::AsyncReadExt;
    let plain = vec![b'a'; size];
    let input = plain.as_slice();
    let mut out = Vec::new();
    match coding {
        "gzip" => GzipEncoder::with_quality(input, Level::Fastest).read_to_end(&mut out).await,
        // RFC 9110: "deflate" is zlib-wrapped.
        "deflate" => ZlibEncoder::with_quality(input, Level::Fastest).read_to_end(&mut out).await,
        "br" => BrotliEncoder::with_quality(input, Level::Fastest).read_to_end(&mut out).await,
        "zstd" => ZstdEncoder::with_quality(input, Level::Fastest).read_to_end(&mut out).await,
        other => panic!("no encoder for {other}"),
    }
    .unwrap();
    out
}

#[tokio::test]
async fn compressed_bodies_are_limited_after_decoding_whatever_the_coding() {
    let base = serve(options()).await;
    let client = reqwest::Client::new();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        // 8 MiB that compress to a few KiB: under the 1 KiB limit only when compressed.
        let bomb = compressed(coding, 8 * 1024 * 1024).await;
        assert!(bomb.len() < 64 * 1024, "{coding}: {} bytes", bomb.len());
        let declared = client
            .post(format!("{base}/echo"))
            .header("content-encoding", coding)
            .body(bomb.clone());
        let body = problem(declared.send().await.unwrap(), 413).await;
        assert!(body["detail"].as_str().unwrap().contains("1024 bytes"), "{coding}: {body}");
        let chunked = client
            .post(format!("{base}/echo"))
            .header("content-encoding", coding)
            .body(futures_chunks(bomb.chunks(512).map(<[u8]>::to_vec).collect()));
        problem(chunked.send().await.unwrap(), 413).await;

        // Within the limit, the handler gets the decoded bytes.
        let small = client
            .post(format!("{base}/echo"))
            .header("content-encoding", coding.to_uppercase())
            .body(compressed(coding, 700).await)
            .send()
            .await
            .unwrap();
        assert_eq!(small.status(), 200, "{coding}");
        assert_eq!(small.text().await.unwrap(), "a".repeat(700), "{coding}");
    }
}

#[tokio::test]
async fn codings_not_decoded_here_and_corrupt_data_are_refused() {
    let base = serve(options()).await;
    let client = reqwest::Client::new();
    for coding in ["compress", "gzip, gzip", "x-unknown"] {
        let response = client
            .post(format!("{base}/echo"))
            .header("content-encoding", coding)
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["accept-encoding"], "gzip, deflate, br, zstd");
        problem(response, 415).await;
    }
    let corrupt = client
        .post(format!("{base}/echo"))
        .header("content-encoding", "gzip")
        .body("this is not gzip")
        .send()
        .await
        .unwrap();
    problem(corrupt, 400).await;
    let identity = client
        .post(format!("{base}/echo"))
        .header("content-encoding", "identity")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(identity.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn http2_cleartext_bodies_without_a_length_are_limited() {
    let base = serve(options()).await;
    let client = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let chunks = (0..64).map(|_| vec![b'x'; 1024]).collect();
    let response = client
        .post(format!("{base}/echo"))
        .body(futures_chunks(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    problem(response, 413).await;
    let small = client.post(format!("{base}/echo")).body("hello").send().await.unwrap();
    assert_eq!(small.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = serve(options()).await;
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-length: 100\r\n\r\nonly part")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "the connection was held: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[tokio::test]
async fn bodies_share_a_memory_budget_and_the_excess_waits_with_503() {
    use tokio::io::AsyncWriteExt;
    let mut options = options();
    options.request_timeout = Duration::from_secs(5);
    // Room for two bodies of the 1 KiB limit at once.
    options.body_memory_bytes = 2048;
    let base = serve(options).await;
    let address = base.trim_start_matches("http://").to_owned();
    // Two clients declare bodies and stall, holding the budget.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-length: 1000\r\n\r\npart")
            .await
            .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::new();
    let refused = client.post(format!("{base}/echo")).body("hello").send().await.unwrap();
    assert_eq!(refused.headers()["retry-after"], "1");
    problem(refused, 503).await;
    // Bodiless requests need no budget.
    assert_eq!(client.get(format!("{base}/panic")).send().await.unwrap().status(), 500);
    drop(stalled);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served = client.post(format!("{base}/echo")).body("hello").send().await.unwrap();
    assert_eq!(served.text().await.unwrap(), "hello");
}
