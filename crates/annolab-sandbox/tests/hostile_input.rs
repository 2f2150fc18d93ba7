//! Hostile input over real HTTP: whatever arrives, the answer is a 4xx with a JSON message,
//! never a 500 and never a dropped connection.

mod support;

use proptest::prelude::*;
use support::TestSandbox;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bodies_get_a_client_error_or_success(body in proptest::collection::vec(any::<u8>(), 0..300), path_choice in 0usize..2) {
        let rt = runtime();
        rt.block_on(async {
            let sandbox = TestSandbox::start(|_| {}).await;
            let path = ["/v1/export/instruments", "/v1/instrument/search"][path_choice];
            let response = reqwest::Client::new()
                .post(format!("{}{path}", sandbox.api_url()))
                .header("Authorization", sandbox.auth())
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            prop_assert!(status.is_success() || status.is_client_error(), "{status}");
            if status.is_client_error() {
                let json: serde_json::Value = response.json().await.unwrap();
                prop_assert!(json["message"].is_string());
            }
            Ok(())
        })?;
    }

    #[test]
    fn arbitrary_paths_and_headers_never_break_the_server(
        segment in "[^/?#]{0,40}",
        auth in prop_oneof![Just(format!("Api-Key {}", support::KEY)), ".{0,60}"],
    ) {
        let rt = runtime();
        rt.block_on(async {
            let sandbox = TestSandbox::start(|_| {}).await;
            let client = reqwest::Client::new();
            for path in [format!("/v1/export/status/{segment}"), format!("/v1/project/{segment}/{segment}")] {
                let url = format!("{}{}", sandbox.api_url(), path.replace('%', "%25").replace(' ', "%20"));
                let Ok(url) = reqwest::Url::parse(&url) else { continue };
                let mut request = client.get(url);
                if let Ok(value) = reqwest::header::HeaderValue::from_str(&auth) {
                    request = request.header("Authorization", value);
                }
                let response = request.send().await.unwrap();
                prop_assert!(response.status().is_client_error(), "{}", response.status());
            }
            Ok(())
        })?;
    }
}
