//! `fetch_url`: an HTTP(S) GET with a size cap; needs network permission for the host.
//!
//! Redirects are not followed: the answer names the new location, so a redirect to another
//! host goes through the permission check again on the next call.

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use ureq::http::Uri;

use super::schema::{Prop, object};
use super::{Access, Resource, Tool, ToolContext, ToolError, ToolOutput, parse_args};
use crate::permissions::Action;

/// Downloads a URL.
pub struct FetchUrl;

#[derive(Deserialize)]
struct Args {
    url: String,
    max_bytes: Option<u64>,
}

const NAME: &str = "fetch_url";

/// The host of an `http`/`https` URL, or an error naming what is wrong.
fn host_of(url: &str) -> Result<String, ToolError> {
    let bad = |message: String| ToolError::InvalidArgs {
        tool: NAME,
        message,
    };
    let uri: Uri = url
        .parse()
        .map_err(|e| bad(format!("bad URL `{url}`: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        other => {
            return Err(bad(format!(
                "URL `{url}` must be http or https (got {})",
                other.unwrap_or("no scheme")
            )));
        }
    }
    uri.host()
        .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
        .ok_or_else(|| bad(format!("URL `{url}` has no host")))
}

impl Tool for FetchUrl {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "HTTP GET a URL (http or https) and return the status and body text, cut at max_bytes. \
         Redirects are reported, not followed."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("url", "The URL to fetch.").required(),
            Prop::integer(
                "max_bytes",
                1,
                "Largest body to download (capped by ouro's limit).",
            ),
        ])
    }

    fn accesses(&self, _ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        Ok(vec![Access {
            action: Action::Network,
            resource: Resource::Name(host_of(&args.url)?),
        }])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        host_of(&args.url)?;
        let cap = args
            .max_bytes
            .unwrap_or(ctx.limits.max_fetch_bytes)
            .min(ctx.limits.max_fetch_bytes);
        let failed =
            |message: String| ToolError::failed(NAME, format!("`{}`: {message}", args.url));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        let mut response = agent
            .get(&args.url)
            .call()
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let mut head = format!("HTTP {status}\n");
        if status.is_redirection()
            && let Some(location) = response.headers().get("location")
        {
            head.push_str(&format!(
                "redirect to: {} (call fetch_url again to follow it)\n",
                location.to_str().unwrap_or("(not text)")
            ));
        }
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(cap + 1)
            .read_to_end(&mut body)
            .map_err(|e| failed(format!("reading the body: {e}")))?;
        let cut = body.len() as u64 > cap;
        body.truncate(cap as usize);
        let mut text = head;
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&body));
        if cut {
            text.push_str(&format!("\n[... body truncated at {cap} bytes ...]\n"));
        }
        Ok(ToolOutput::text(ctx, &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;
    use std::io::Write;
    use std::net::TcpListener;

    /// Serves one canned HTTP response on a local port.
    fn serve_once(response: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        format!("http://{addr}/page")
    }

    #[test]
    fn host_extraction_and_bad_urls() {
        assert_eq!(
            host_of("https://Example.COM:8080/x?y").unwrap(),
            "example.com"
        );
        assert_eq!(host_of("http://[::1]/").unwrap(), "::1");
        for bad in ["ftp://x/", "not a url", "/relative"] {
            assert!(host_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fetches_with_size_cap() {
        let f = Fixture::new();
        let url = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Length: 26\r\nConnection: close\r\n\r\nabcdefghijklmnopqrstuvwxyz",
        );
        let out = f
            .run(&FetchUrl, json!({"url": url, "max_bytes": 10}))
            .unwrap()
            .content;
        assert!(out.starts_with("HTTP 200"), "{out}");
        assert!(
            out.contains("abcdefghij\n[... body truncated at 10 bytes"),
            "{out}"
        );
        assert!(!out.contains("abcdefghijk"), "{out}");
    }

    #[test]
    fn redirects_are_reported_not_followed() {
        let f = Fixture::new();
        let url = serve_once(
            "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let out = f.run(&FetchUrl, json!({"url": url})).unwrap().content;
        assert!(
            out.contains("redirect to: http://elsewhere.example/"),
            "{out}"
        );
    }
}
