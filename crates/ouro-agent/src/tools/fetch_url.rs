//! `fetch_url`: an HTTP(S) GET with a size cap; needs network permission for the host.
//!
//! The URL is parsed by the `url` crate (the WHATWG URL standard, as browsers read it), so
//! `http://allowed.com@127.0.0.1/` is a request to `127.0.0.1` and `http://0x7f.1/` one to
//! `127.0.0.1`; the request is sent with the URL as normalised there. The permission check
//! sees the host and every address it resolves to (see [`crate::permissions::network`]).
//! When the call runs, the host is resolved once more, deny rules are checked against those
//! addresses, and the connection goes to exactly those addresses (a resolver that returns
//! them), so a DNS answer that changes between the check and the connection cannot reach an
//! address a rule denies. Proxies from the environment are not used.
//!
//! Redirects are not followed: the answer names the new location, so a redirect to another
//! host goes through the permission check again on the next call.

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use super::schema::{Prop, object};
use super::{Access, Resource, Tool, ToolContext, ToolError, ToolOutput, parse_args};
use crate::permissions::network::Target;
use crate::permissions::{Action, Verdict};

/// Downloads a URL.
pub struct FetchUrl;

#[derive(Deserialize)]
struct Args {
    url: String,
    max_bytes: Option<u64>,
}

const NAME: &str = "fetch_url";

/// An `http`/`https` URL with a host, or an error naming what is wrong.
fn parse_url(url: &str) -> Result<url::Url, ToolError> {
    let bad = |message: String| ToolError::InvalidArgs {
        tool: NAME,
        message,
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(format!("bad URL `{url}`: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "URL `{url}` must be http or https (got {})",
            parsed.scheme()
        )));
    }
    if parsed.host().is_none() {
        return Err(bad(format!("URL `{url}` has no host")));
    }
    Ok(parsed)
}

/// Where `url` goes: its host and the addresses it resolves to now.
fn target_of(url: &url::Url) -> Target {
    let port = url.port_or_known_default().unwrap_or(80);
    match url.host() {
        Some(host) => Target::resolve(&host, port),
        None => Target::unresolved(""),
    }
}

/// A resolver that answers every lookup with the addresses that were checked.
#[derive(Debug)]
struct Pinned(Vec<SocketAddr>);

impl Resolver for Pinned {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut out = self.empty();
        for addr in self.0.iter().take(16) {
            out.push(*addr);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
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
        let url = parse_url(&args.url)?;
        Ok(vec![Access {
            action: Action::Network,
            resource: Resource::Host(target_of(&url)),
        }])
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let url = parse_url(&args.url)?;
        let target = target_of(&url);
        if target.addrs.is_empty() {
            return Err(ToolError::failed(
                NAME,
                format!("`{}`: host `{}` does not resolve", args.url, target.host),
            ));
        }
        let decision = ctx.policy.check_host(&target);
        if decision.verdict == Verdict::Deny {
            return Err(ToolError::Denied {
                action: Action::Network,
                resource: target.to_string(),
                rule: decision.rule,
            });
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let pinned = Pinned(
            target
                .addrs
                .iter()
                .map(|ip| SocketAddr::new(*ip, port))
                .collect(),
        );
        let cap = args
            .max_bytes
            .unwrap_or(ctx.limits.max_fetch_bytes)
            .min(ctx.limits.max_fetch_bytes);
        let failed =
            |message: String| ToolError::failed(NAME, format!("`{}`: {message}", args.url));
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        let agent = ureq::Agent::with_parts(config, DefaultConnector::new(), pinned);
        let mut response = agent
            .get(url.as_str())
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
        let host = |u: &str| target_of(&parse_url(u).unwrap()).host;
        assert_eq!(host("https://Example.COM.:8080/x?y"), "example.com");
        assert_eq!(host("http://[::1]/"), "::1");
        assert_eq!(host("http://allowed.com@0x7f.1/"), "127.0.0.1");
        for bad in ["ftp://x/", "not a url", "/relative", "http://"] {
            assert!(parse_url(bad).is_err(), "{bad}");
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
