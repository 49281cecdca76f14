//! For unit tests only: the smallest HTTP server side, enough to answer hashpin's client on
//! 127.0.0.1 from a test thread.

use std::io::Read;
use std::net::TcpStream;

/// Reads a request up to the end of its head (the blank line), or until the client stops.
pub(crate) fn read_request_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    request
}
