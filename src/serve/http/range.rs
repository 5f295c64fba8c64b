//! Range requests (RFC 9110, section 14): a part of a file or page, for a video or audio element that seeks, or a
//! download that resumes. Pure, but for [`ranges`], the middleware that applies it to whole answers.
//!
//! Only one range of bytes is served (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a request for several, or in another
//! unit, gets the whole file, which the standard allows. The preview's answers are in memory whole, so a part is
//! a slice of them. tower-http's range support is tied to its file service, which reads from disk, hence these
//! few lines rather than a dependency.

use std::ops::Range;

use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a `Range` header asks of a representation `len` bytes long.
#[derive(Debug, PartialEq, Eq)]
pub enum Wanted {
    /// The whole: no header, or one this server does not serve in parts (several ranges, another unit, bad
    /// syntax), which the standard says to ignore.
    Whole,
    /// These bytes.
    Part(Range<usize>),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

pub fn wanted(header: &str, len: usize) -> Wanted {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |text: &str| -> Option<usize> {
        let text = text.trim();
        // Digits only: `usize::from_str` would take a sign. A number too big for usize is past any end.
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().unwrap_or(usize::MAX))
    };
    match (number(first), number(last)) {
        // The last n bytes.
        (None, Some(suffix)) if first.trim().is_empty() => match suffix {
            0 => Wanted::Unsatisfiable,
            _ if len == 0 => Wanted::Unsatisfiable,
            n => Wanted::Part(len.saturating_sub(n)..len),
        },
        (Some(start), None) if last.trim().is_empty() => match start < len {
            true => Wanted::Part(start..len),
            false => Wanted::Unsatisfiable,
        },
        (Some(start), Some(end)) if start <= end => match start < len {
            true => Wanted::Part(start..end.min(len - 1) + 1),
            false => Wanted::Unsatisfiable,
        },
        _ => Wanted::Whole,
    }
}

/// Answers a `GET` with one byte range from a whole answer (200, its length known) with 206 and that part, or 416
/// if it lies past the end; and says on whole answers that ranges are served. A streamed answer (the live-reload
/// events) is left as it is.
pub async fn ranges(request: Request, next: Next) -> Response {
    let range = match request.method() {
        &Method::GET if !request.headers().contains_key(header::IF_RANGE) => {
            request.headers().get(header::RANGE).and_then(|r| r.to_str().ok()).map(str::to_string)
        }
        // `If-Range` asks for a part only if the file is still the one a validator names, and the preview gives
        // no validators (ETag, Last-Modified): the whole it is.
        _ => None,
    };
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.body().size_hint().exact().is_none() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let Some(range) = range else {
        return Response::from_parts(parts, body);
    };
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let len = bytes.len();
    let (status, content_range, body) = match wanted(&range, len) {
        Wanted::Whole => return Response::from_parts(parts, Body::from(bytes)),
        Wanted::Part(part) => {
            (StatusCode::PARTIAL_CONTENT, format!("bytes {}-{}/{len}", part.start, part.end - 1), bytes.slice(part))
        }
        Wanted::Unsatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, format!("bytes */{len}"), Default::default()),
    };
    parts.status = status;
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(&content_range) {
        parts.headers.insert(header::CONTENT_RANGE, value);
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_of_bytes_in_each_form() {
        assert_eq!(wanted("bytes=0-3", 10), Wanted::Part(0..4));
        assert_eq!(wanted("bytes=4-", 10), Wanted::Part(4..10));
        assert_eq!(wanted("bytes=-3", 10), Wanted::Part(7..10));
        assert_eq!(wanted("bytes=-30", 10), Wanted::Part(0..10), "more than there is: all of it");
        assert_eq!(wanted("bytes=5-99", 10), Wanted::Part(5..10), "an end past the end stops at the end");
        assert_eq!(wanted("bytes=9-9", 10), Wanted::Part(9..10));
        assert_eq!(wanted("bytes=0-99999999999999999999999", 10), Wanted::Part(0..10));
    }

    #[test]
    fn a_range_past_the_end_is_unsatisfiable() {
        assert_eq!(wanted("bytes=10-", 10), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=10-20", 10), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=-0", 10), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=0-", 0), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=-5", 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn what_is_not_one_range_of_bytes_gets_the_whole() {
        for header in
            ["bytes=0-1,4-5", "items=0-3", "bytes=5-2", "bytes=-", "bytes=+1-2", "bytes=a-b", "0-3", "bytes=1"]
        {
            assert_eq!(wanted(header, 10), Wanted::Whole, "{header}");
        }
    }
}
