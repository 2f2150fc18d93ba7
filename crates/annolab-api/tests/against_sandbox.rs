//! The API client against the real sandbox over HTTP.

use std::time::Duration;

use annolab_api::json::{ExportRequestBody, TagFilterBody};
use annolab_api::{ApiError, ApiKey, Client, JobState, RetryPolicy, ServerUrl, Storage};
use annolab_sandbox::{ApiKey as SandboxKey, Fault, Sandbox};
use test_support::instant_sandbox;

const KEY: &str = "client-test-key";

fn client(sandbox: &Sandbox, key: &str) -> Client {
    let fast = RetryPolicy { attempts: 4, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(50) };
    Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(key).unwrap()).unwrap().with_retry(fast)
}

fn doc_request() -> ExportRequestBody {
    ExportRequestBody {
        project_owner: "Group Name owning project".into(),
        project_name: "Example Project Name".into(),
        tag_filter: Some(TagFilterBody::Canonical { canonical_tag_types: vec!["Airframe Inventory".into()] }),
        source_filter: Some("Test_PDF.pdf".into()),
        include_files: true,
    }
}

async fn wait_finished(client: &Client, status_url: &str) -> String {
    for _ in 0..200 {
        let status = client.export_status(status_url).await.unwrap();
        if status.status == JobState::Finished {
            return status.download_url.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("export did not finish")
}

#[tokio::test]
async fn a_whole_export_round_trip() {
    let sandbox = instant_sandbox(KEY, |_| {}).await;
    let client = client(&sandbox, KEY);
    let info = client.key_info().await.unwrap();
    assert!(info.groups.iter().any(|g| g.group_name == "Group Name owning project"));
    let project = client.project("Group Name owning project", "Example Project Name").await.unwrap();
    assert_eq!(project.id, 148);

    let started = client.start_export(&doc_request()).await.unwrap();
    assert_eq!(started.export_job.id, 341);
    let url = wait_finished(&client, &started.export_status_url).await;

    // The storage client sends no Authorization header: the sandbox would answer 400 if it did.
    let mut body = Storage::new().unwrap().fetch(&url, 0).await.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.chunk().await.unwrap() {
        bytes.extend_from_slice(&chunk);
    }
    assert_eq!(Some(bytes.len() as u64), body.total);
    assert_eq!(&bytes[..2], b"PK");

    let resumed = Storage::new().unwrap().fetch(&url, 100).await.unwrap();
    assert_eq!((resumed.offset, resumed.total), (100, Some(bytes.len() as u64)));
}

#[tokio::test]
async fn errors_carry_the_servers_message_and_map_to_actionable_variants() {
    let sandbox = instant_sandbox(KEY, |c| c.keys.push(SandboxKey { key: "no-read".into(), read: false })).await;
    let wrong = client(&sandbox, "wrong-key").key_info().await.unwrap_err();
    assert!(matches!(&wrong, ApiError::Unauthorized { message } if message == "Invalid API key."), "{wrong:?}");
    assert!(wrong.to_string().contains("Check that the key is current"));

    let no_read = client(&sandbox, "no-read").start_export(&doc_request()).await.unwrap_err();
    assert!(matches!(no_read, ApiError::Forbidden { .. }), "{no_read:?}");

    let missing = client(&sandbox, KEY).project("Nobody", "Nothing / here").await.unwrap_err();
    assert!(matches!(&missing, ApiError::NotFound { message } if message.contains("'Nothing / here'")), "{missing:?}");
}

#[tokio::test]
async fn rate_limits_and_failing_polls_are_retried_transparently() {
    let sandbox = instant_sandbox(KEY, |c| c.faults.push(Fault::RateLimit { requests: 2, retry_after_secs: 0 })).await;
    let client = client(&sandbox, KEY);
    let started = client.start_export(&doc_request()).await.unwrap();
    sandbox.faults().fail_next_polls(3);
    wait_finished(&client, &started.export_status_url).await;
}

#[tokio::test]
async fn retries_stop_at_the_budget_with_a_clear_error() {
    let sandbox = instant_sandbox(KEY, |_| {}).await;
    let client = client(&sandbox, KEY);
    let started = client.start_export(&doc_request()).await.unwrap();
    sandbox.faults().fail_next_polls(10);
    let error = client.export_status(&started.export_status_url).await.unwrap_err();
    assert!(matches!(error, ApiError::Server { status: 502, .. }), "{error:?}");
    sandbox.faults().rate_limit_next(10, 0);
    let error = client.key_info().await.unwrap_err();
    assert!(matches!(error, ApiError::RateLimited { attempts: 4, .. }), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_server_gives_up_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let fast = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(10) };
    let client = Client::new(ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(), ApiKey::new("k").unwrap()).unwrap().with_retry(fast);
    let error = client.key_info().await.unwrap_err();
    assert!(matches!(&error, ApiError::ConnectionRefused { host, attempts: 3 } if *host == format!("127.0.0.1:{port}")), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port} refused the connection")) && !message.contains("resumed"), "{message}");
}

#[tokio::test]
async fn a_status_url_off_the_api_server_never_gets_the_key() {
    let sandbox = instant_sandbox(KEY, |_| {}).await;
    let error = client(&sandbox, KEY).export_status(&format!("{}/v1/export/status/341", sandbox.storage_url())).await.unwrap_err();
    assert!(matches!(error, ApiError::StatusUrlOffServer { .. }), "{error:?}");
}

#[tokio::test]
async fn an_expired_signed_url_is_reported_as_such() {
    let sandbox = instant_sandbox(KEY, |c| c.faults.push(Fault::UrlTtl(1))).await;
    let client = client(&sandbox, KEY);
    let started = client.start_export(&doc_request()).await.unwrap();
    let url = wait_finished(&client, &started.export_status_url).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let error = Storage::new().unwrap().fetch(&url, 0).await.unwrap_err();
    assert!(matches!(error, ApiError::SignedUrlExpired), "{error:?}");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    use axum::response::Redirect;
    // The "other host": a listener on another loopback address, which must see no request.
    let other = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let other_url = format!("http://{}/stolen", other.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { "gotcha" }
        });
        axum::serve(other, app).await.unwrap();
    });
    let redirector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector_url = format!("http://{}/file.zip", redirector.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(move || async move { Redirect::temporary(&other_url) });
        axum::serve(redirector, app).await.unwrap();
    });
    let error = Storage::new().unwrap().fetch(&redirector_url, 0).await.unwrap_err();
    assert!(matches!(&error, ApiError::RedirectOffHost { host } if host == "127.0.0.2"), "{error:?}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

fn fast_storage() -> Storage {
    Storage::new().unwrap().with_retry(RetryPolicy { attempts: 4, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(50) })
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_an_http_date_on_the_api() {
    for date in [false, true] {
        let sandbox = instant_sandbox(KEY, |_| {}).await;
        sandbox.faults().retry_after_as_date(date);
        sandbox.faults().rate_limit_next(1, 2);
        let started = std::time::Instant::now();
        client(&sandbox, KEY).key_info().await.unwrap();
        // The client's own backoff here is 10 ms: only the header explains a wait this long.
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(1500), "date form {date}: waited {waited:?}");
    }
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_an_http_date_on_the_download_host() {
    for date in [false, true] {
        let sandbox = instant_sandbox(KEY, |_| {}).await;
        let client = client(&sandbox, KEY);
        let started = client.start_export(&doc_request()).await.unwrap();
        let url = wait_finished(&client, &started.export_status_url).await;
        sandbox.faults().retry_after_as_date(date);
        sandbox.faults().busy_next_downloads(1, 2);
        let began = std::time::Instant::now();
        let body = fast_storage().fetch(&url, 0).await.unwrap();
        let waited = began.elapsed();
        assert!(body.total.is_some());
        assert!(waited >= Duration::from_millis(1500), "date form {date}: waited {waited:?}");
    }
}

#[tokio::test]
async fn a_host_name_that_does_not_resolve_is_named_in_words() {
    let fast = RetryPolicy { attempts: 2, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(10) };
    let client = Client::new(ServerUrl::parse("https://no-such-host.invalid").unwrap(), ApiKey::new("k").unwrap()).unwrap().with_retry(fast);
    let error = client.key_info().await.unwrap_err();
    assert!(matches!(&error, ApiError::HostNotFound { host, attempts: 2 } if host == "no-such-host.invalid"), "{error:?}");
    assert_eq!(error.code().as_str(), "host_not_found");
    assert!(error.to_string().contains("The host name no-such-host.invalid could not be found"), "{error}");
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_not_retried_and_says_what_went_wrong() {
    // The handshake fails because the other side does not speak TLS: trying again cannot help.
    let sandbox = instant_sandbox(KEY, |_| {}).await;
    let port = sandbox.api_url().rsplit(':').next().unwrap().to_owned();
    let client = Client::new(ServerUrl::parse(&format!("https://127.0.0.1:{port}")).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let started = std::time::Instant::now();
    let error = client.key_info().await.unwrap_err();
    assert!(matches!(&error, ApiError::TlsFailed { host, .. } if *host == format!("127.0.0.1:{port}")), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "retried: {:?}", started.elapsed());
    assert!(error.to_string().contains("did not answer in TLS"), "{error}");
    assert!(!error.to_string().contains(KEY));
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_at_once_naming_the_host_on_both_hosts() {
    let sandbox = instant_sandbox(KEY, |c| c.faults.push(Fault::SelfSignedTls)).await;
    assert!(sandbox.api_url().starts_with("https://") && sandbox.storage_url().starts_with("https://"));
    let host = |url: &str| url.trim_start_matches("https://").to_owned();

    // The API: the key is never sent, since the handshake fails before any request.
    let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let started = std::time::Instant::now();
    let error = client.key_info().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "retried: {:?}", started.elapsed());
    assert_eq!(error.code().as_str(), "tls_failed");
    assert!(matches!(&error, ApiError::TlsFailed { host: h, .. } if *h == host(&sandbox.api_url())), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&host(&sandbox.api_url())), "{message}");
    // What the platform's verifier reports differs by OS; on Linux it is webpki's UnknownIssuer.
    #[cfg(target_os = "linux")]
    assert!(message.contains("not signed by an authority this computer trusts"), "{message}");
    assert!(!message.contains(KEY));

    // The download host, as a signed URL on it would meet it.
    let started = std::time::Instant::now();
    let error = match Storage::new().unwrap().fetch(&format!("{}/exports/1.zip", sandbox.storage_url()), 0).await {
        Ok(_) => panic!("a self-signed download host was trusted"),
        Err(e) => e,
    };
    assert!(started.elapsed() < Duration::from_secs(5), "retried: {:?}", started.elapsed());
    assert!(matches!(&error, ApiError::TlsFailed { host: h, .. } if *h == host(&sandbox.storage_url())), "{error:?}");
}

#[tokio::test]
async fn interactive_checks_of_a_refused_port_answer_within_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::new(ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(), ApiKey::new("k").unwrap()).unwrap().interactive().unwrap();
    let started = std::time::Instant::now();
    let error = client.key_info().await.unwrap_err();
    // The default policy would try 8 times over about a minute.
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(matches!(&error, ApiError::ConnectionRefused { attempts: 2, .. }), "{error:?}");
}
