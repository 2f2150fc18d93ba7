//! The sandbox over real HTTP: every endpoint, every error, the download host's rules, and each
//! injected fault, as a client sees them.

mod support;

use std::time::{Duration, Instant};

use annolab_sandbox::archive::{HOSTILE_ENTRY_NAMES, HOSTILE_SYMLINK};
use annolab_sandbox::{ApiKey, Fault, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{DEMO_EXPORT, TestSandbox, doc_body};

#[tokio::test]
async fn an_export_goes_from_request_to_a_downloadable_zip() {
    let sandbox = TestSandbox::start(|c| c.job_time = Duration::from_millis(600)).await;

    let response = sandbox.post("/v1/export/instruments", &doc_body()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["exportJob"]["status"], "initialized");
    assert_eq!(created["exportJob"]["isInstrumentsExport"], true);
    assert_eq!(created["exportJob"]["projectId"], 148);
    let status_url = created["exportStatusUrl"].as_str().unwrap();
    assert_eq!(status_url, format!("{}/v1/export/status/{}", sandbox.api_url(), created["exportJob"]["id"]));

    // The job passes through initialized and started before it finishes.
    let mut seen = Vec::new();
    let finished = loop {
        let status: Value = sandbox.get_url(status_url).await.json().await.unwrap();
        let name = status["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&name) {
            seen.push(name.clone());
        }
        if name == "finished" {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(seen, ["initialized", "started", "finished"]);
    assert_eq!(finished["error"], Value::Null);

    let download_url = finished["downloadUrl"].as_str().unwrap();
    assert!(download_url.starts_with(&sandbox.storage_url()), "downloads come from another origin");
    let zip = sandbox.download(download_url).await;
    let mut export = support::Export::read(zip);
    assert_eq!(export.instruments.len(), 3);
    assert_eq!(export.pdf_names().len(), 3);
    export.assert_pdfs_match_their_instruments();
}

#[tokio::test]
async fn instruments_are_complete_objects() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let export = sandbox.export(&json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1})).await;
    assert_eq!(export.instruments.len(), 240);
    let mut numeric_attribute = false;
    let mut reviewed = false;
    let mut unreviewed = false;
    for instrument in &export.instruments {
        for field in [
            "id",
            "sourceReferenceId",
            "sourceName",
            "startPageNumber",
            "endPageNumber",
            "typeName",
            "canonicalTags",
            "annotations",
            "reviewedBy",
            "reviewedAt",
        ] {
            assert!(instrument.get(field).is_some(), "{field} missing in {instrument}");
        }
        for tag in instrument["canonicalTags"].as_array().unwrap() {
            for field in ["tagType", "typeName", "domainEntityId", "annotationId", "attributes"] {
                assert!(tag.get(field).is_some(), "{field} missing in tag {tag}");
            }
            numeric_attribute |= tag["attributes"].as_array().unwrap().iter().any(|a| a["value"].is_number());
        }
        assert!(!instrument["annotations"].as_array().unwrap().is_empty());
        reviewed |= instrument["reviewedBy"]["email"].is_string() && instrument["reviewedAt"].is_string();
        unreviewed |= instrument["reviewedBy"].is_null() && instrument["reviewedAt"].is_null();
    }
    assert!(numeric_attribute && reviewed && unreviewed);
}

#[tokio::test]
async fn tag_filters_over_http_follow_the_documented_rules() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let export = |tag_filter: Value| {
        let sandbox = &sandbox;
        async move {
            let body = json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1, "tagFilter": tag_filter});
            sandbox.export(&body).await.instruments
        }
    };
    let own_tags = |i: &Value| -> Vec<String> { i["canonicalTags"].as_array().unwrap().iter().map(|t| t["typeName"].as_str().unwrap().to_owned()).collect() };
    let all = export(json!({})).await;
    let airframe_old = export(json!({"canonicalTagTypes": ["Airframe Inventory"]})).await;
    let airframe_new = export(json!({"includeTypes": ["Airframe Inventory"]})).await;
    assert_eq!(airframe_old, airframe_new, "both forms mean the same");
    assert!(airframe_old.iter().all(|i| own_tags(i).contains(&"Airframe Inventory".to_owned())));
    assert!(!airframe_old.is_empty() && airframe_old.len() < all.len());

    let either = export(json!({"includeTypes": ["Airframe Inventory", "Engine Inventory"]})).await;
    let engine = export(json!({"includeTypes": ["Engine Inventory"]})).await;
    let union: std::collections::BTreeSet<u64> = airframe_old.iter().chain(&engine).map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(either.iter().map(|i| i["id"].as_u64().unwrap()).collect::<std::collections::BTreeSet<_>>(), union, "OR over types");

    let exclude_wins = export(json!({"includeTypes": ["Airframe Inventory"], "excludeTypes": ["Engine Inventory"]})).await;
    assert!(!exclude_wins.is_empty());
    assert!(exclude_wins.iter().all(|i| !own_tags(i).contains(&"Engine Inventory".to_owned())));

    // Propeller Inventory is only ever a source file's tag: instruments come in through it.
    let propeller = export(json!({"includeTypes": ["Propeller Inventory"]})).await;
    assert!(!propeller.is_empty());
    assert!(propeller.iter().all(|i| !own_tags(i).contains(&"Propeller Inventory".to_owned())));
    let no_propeller = export(json!({"excludeTypes": ["Propeller Inventory"]})).await;
    assert_eq!(no_propeller.len() + propeller.len(), all.len());

    let case_differs = export(json!({"includeTypes": ["airframe inventory"]})).await;
    assert!(case_differs.is_empty(), "matching is case-sensitive");
}

#[tokio::test]
async fn source_filter_is_exact_and_include_files_adds_pdfs() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let body = |source: &str, files: bool| json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1, "sourceFilter": source, "includeFiles": files});
    let mut exact = sandbox.export(&body("Test_PDF.pdf", true)).await;
    assert_eq!(exact.instruments.len(), 5);
    assert!(exact.instruments.iter().all(|i| i["sourceName"] == "Test_PDF.pdf"));
    assert_eq!(exact.pdf_names().len(), 5);
    assert!(exact.pdf_names().contains(&"pdfs/Assignment _ Assumption_11-11_402974.pdf".to_owned()), "{:?}", exact.pdf_names());
    exact.assert_pdfs_match_their_instruments();

    let without_files = sandbox.export(&body("Test_PDF.pdf", false)).await;
    assert_eq!(without_files.instruments, exact.instruments);
    assert!(without_files.pdf_names().is_empty());
    assert!(sandbox.export(&body("test_pdf.pdf", false)).await.instruments.is_empty());
    assert!(sandbox.export(&body("Test_PDF", false)).await.instruments.is_empty());
}

#[tokio::test]
async fn auth_errors_are_401_and_403_with_a_message() {
    let sandbox = TestSandbox::start(|c| c.keys.push(ApiKey { key: "no-read".into(), read: false })).await;
    let cases: &[(Option<&str>, StatusCode, &str)] = &[
        (None, StatusCode::UNAUTHORIZED, "Authentication credentials were not provided"),
        (Some("Api-Key wrong"), StatusCode::UNAUTHORIZED, "Invalid API key."),
        (Some("Bearer test-key"), StatusCode::UNAUTHORIZED, "must be 'Api-Key <your key>'"),
        (Some("Api-Key no-read"), StatusCode::FORBIDDEN, "does not have Read permission"),
    ];
    for (auth, status, message) in cases {
        for (method, path) in
            [("POST", "/v1/export/instruments"), ("GET", "/v1/export/status/341"), ("GET", "/v1/project/a/b"), ("POST", "/v1/instrument/search")]
        {
            let response = sandbox.request_with_auth(method, path, *auth, Some(doc_body())).await;
            assert_eq!(response.status(), *status, "{method} {path} with {auth:?}");
            support::assert_message(response, message).await;
        }
    }
    // Key info answers any valid key, and says what it may do.
    let info = sandbox.request_with_auth("GET", "/v1/api-key/info", Some("Api-Key no-read"), None).await;
    assert_eq!(info.status(), StatusCode::OK);
    assert_eq!(info.json::<Value>().await.unwrap()["permissions"], json!([]));
}

#[tokio::test]
async fn bad_bodies_get_400_naming_the_field() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let cases = [
        ("{", "The request body is not valid JSON"),
        ("[]", "must be a JSON object"),
        (r#"{"projectName": "Example Project Name"}"#, "projectOwner is required"),
        (r#"{"projectOwner": "Group Name owning project"}"#, "projectName is required"),
        (r#"{"projectOwner": 1, "projectName": "p"}"#, "projectOwner must be a string"),
        (r#"{"projectOwner": "o", "projectName": "p", "includeFiles": "true"}"#, "includeFiles must be a boolean"),
        (
            r#"{"projectOwner": "o", "projectName": "p", "tagFilter": {"canonicalTagTypes": "Airframe Inventory"}}"#,
            "tagFilter.canonicalTagTypes must be a list of strings",
        ),
    ];
    for (body, message) in cases {
        let response = sandbox.post_raw("/v1/export/instruments", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        support::assert_message(response, message).await;
    }
    let huge = format!(r#"{{"projectOwner": "{}", "projectName": "p"}}"#, "x".repeat(100_000));
    let response = sandbox.post_raw("/v1/export/instruments", &huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    support::assert_message(response, "larger than 64 KiB").await;
}

#[tokio::test]
async fn unknown_projects_jobs_and_routes_are_404_with_a_message() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let response = sandbox.post("/v1/export/instruments", &json!({"projectOwner": "Nobody", "projectName": "Nothing"})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    support::assert_message(response, "Project 'Nothing' owned by 'Nobody' was not found.").await;
    for path in ["/v1/project/Nobody/Nothing", "/v1/export/status/999999", "/v1/export/status/not-a-number", "/v2/anything"] {
        let response = sandbox.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.json::<Value>().await.unwrap()["message"].is_string(), "{path}");
    }
    let response = sandbox.request_with_auth("DELETE", "/v1/export/instruments", Some(&sandbox.auth()), None).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());
}

#[tokio::test]
async fn key_info_and_project_lookup_describe_the_demo() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let info: Value = sandbox.get("/v1/api-key/info").await.json().await.unwrap();
    assert_eq!(info["groups"][0], json!({"groupName": "Group Name owning project", "groupId": 52, "isSingleUser": false}));
    assert_eq!(info["groups"][1]["isSingleUser"], true);
    let project: Value = sandbox.get("/v1/project/Group%20Name%20owning%20project/Example%20Project%20Name").await.json().await.unwrap();
    assert_eq!(project["name"], "Example Project Name");
    assert_eq!(project["groupName"], "Group Name owning project");
    assert_eq!(project["id"], 148);
    assert_eq!(project["groupId"], 52);
}

#[tokio::test]
async fn search_pages_through_the_same_instruments_an_export_holds() {
    let sandbox = TestSandbox::start(|c| c.sources = annolab_sandbox::SourceSet::Generated { instruments: 250 }).await;
    let filter = json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1, "tagFilter": {"excludeTypes": ["Privileged"]}});
    let exported = sandbox.export(&filter).await.instruments;
    let mut found = Vec::new();
    let mut page = 1;
    loop {
        let mut body = filter.clone();
        body["page"] = json!(page);
        let response: Value = sandbox.post("/v1/instrument/search", &body).await.json().await.unwrap();
        assert_eq!(response["page"], page);
        let results = response["results"].as_array().unwrap();
        assert!(results.len() <= 100);
        found.extend(results.iter().cloned());
        if response["hasMorePages"] == false {
            break;
        }
        assert_eq!(results.len(), 100, "only the last page is short");
        page += 1;
    }
    assert!(page >= 2);
    assert_eq!(found, exported);
    let beyond: Value = sandbox
        .post("/v1/instrument/search", &json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1, "page": 1_000_000_000_000u64}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(beyond["results"], json!([]));
    assert_eq!(beyond["hasMorePages"], false);
}

#[tokio::test]
async fn downloads_honour_range_and_head() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let url = sandbox.finished_download_url(&doc_body()).await;
    let whole = sandbox.download(&url).await;
    let size = whole.len();
    let client = reqwest::Client::new();

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    assert_eq!(head.headers()["accept-ranges"], "bytes");

    for (range, expected) in [("bytes=0-99", 0..100), ("bytes=100-", 100..size), ("bytes=-50", size - 50..size)] {
        let response = client.get(&url).header("Range", range).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(response.headers()["content-range"], format!("bytes {}-{}/{size}", expected.start, expected.end - 1).as_str());
        assert_eq!(&response.bytes().await.unwrap()[..], &whole[expected], "{range}");
    }
    let response = client.get(&url).header("Range", format!("bytes={size}-")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(response.headers()["content-range"], format!("bytes */{size}").as_str());
}

#[tokio::test]
async fn the_download_host_rejects_the_api_key_and_bad_signatures() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let url = sandbox.finished_download_url(&doc_body()).await;
    let client = reqwest::Client::new();

    let leaked = client.get(&url).header("Authorization", sandbox.auth()).send().await.unwrap();
    assert_eq!(leaked.status(), StatusCode::BAD_REQUEST);
    assert!(leaked.text().await.unwrap().contains("<Code>InvalidArgument</Code>"));

    let tampered = url.replace("export-", "export-0");
    assert_eq!(client.get(&tampered).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let unsigned = url.split('?').next().unwrap();
    assert_eq!(client.get(unsigned).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let mut forged = url.clone();
    forged.replace_range(forged.len() - 4.., "0000");
    let response = client.get(&forged).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn signed_urls_expire_and_a_new_poll_signs_a_fresh_one() {
    let sandbox = TestSandbox::start(|c| c.faults.push(Fault::UrlTtl(1))).await;
    let created: Value = sandbox.post("/v1/export/instruments", &doc_body()).await.json().await.unwrap();
    let status_url = created["exportStatusUrl"].as_str().unwrap().to_owned();
    let url = sandbox.wait_finished(&status_url).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = reqwest::get(&url).await.unwrap();
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    assert!(expired.text().await.unwrap().contains("Request has expired"));

    let fresh = sandbox.wait_finished(&status_url).await;
    assert_ne!(fresh, url);
    assert_eq!(reqwest::get(&fresh).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_then_recover() {
    let sandbox = TestSandbox::start(|c| c.faults.push(Fault::RateLimit { requests: 2, retry_after_secs: 3 })).await;
    for _ in 0..2 {
        let response = sandbox.get("/v1/api-key/info").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "3");
        support::assert_message(response, "throttled").await;
    }
    assert_eq!(sandbox.get("/v1/api-key/info").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn failing_polls_answer_502_then_recover() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let created: Value = sandbox.post("/v1/export/instruments", &doc_body()).await.json().await.unwrap();
    sandbox.faults().fail_next_polls(2);
    let status_url = created["exportStatusUrl"].as_str().unwrap();
    for _ in 0..2 {
        let response = sandbox.get_url(status_url).await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        support::assert_message(response, "Bad Gateway").await;
    }
    assert_eq!(sandbox.get_url(status_url).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cut_download_stops_halfway_and_the_next_one_is_whole() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let url = sandbox.finished_download_url(&doc_body()).await;
    let whole = sandbox.download(&url).await;
    sandbox.faults().cut_next_downloads(1);

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.content_length(), Some(whole.len() as u64));
    let mut received = 0;
    let mut stream = response.bytes_stream();
    let mut failed = false;
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        match chunk {
            Ok(bytes) => received += bytes.len(),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the client sees the connection drop");
    assert_eq!(received, whole.len() / 2);
    assert_eq!(sandbox.download(&url).await, whole);
}

#[tokio::test]
async fn an_errored_job_reports_its_message() {
    let sandbox = TestSandbox::start(|c| c.faults.push(Fault::JobError("The export ran out of memory.".into()))).await;
    let created: Value = sandbox.post("/v1/export/instruments", &doc_body()).await.json().await.unwrap();
    let status: Value = sandbox.get_url(created["exportStatusUrl"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(status["status"], "errored");
    assert_eq!(status["error"], "The export ran out of memory.");
    assert_eq!(status["downloadUrl"], Value::Null);
    // Only the next job: the one after it finishes.
    sandbox.finished_download_url(&doc_body()).await;
}

#[tokio::test]
async fn bandwidth_caps_pace_the_download() {
    let sandbox = TestSandbox::start(|c| c.faults.push(Fault::Bandwidth(64 * 1024))).await;
    let url = sandbox.finished_download_url(&doc_body()).await;
    let started = Instant::now();
    let zip = sandbox.download(&url).await;
    let floor = Duration::from_secs_f64(zip.len() as f64 / (64.0 * 1024.0)) * 8 / 10;
    assert!(started.elapsed() >= floor, "{} bytes in {:?}, expected at least {floor:?}", zip.len(), started.elapsed());
}

#[tokio::test]
async fn malformed_lines_and_hostile_entries_appear_when_asked_for() {
    let sandbox = TestSandbox::start(|c| c.faults.extend([Fault::MalformedLines(3), Fault::HostileEntries])).await;
    let zip = sandbox.download(&sandbox.finished_download_url(&doc_body()).await).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let text = std::io::read_to_string(archive.by_name("instruments.json").unwrap()).unwrap();
    let bad = text.lines().filter(|l| serde_json::from_str::<serde_json::Map<String, Value>>(l).is_err()).count();
    let good = text.lines().count() - bad;
    assert_eq!((good, bad), (3, 3));
    let names = support::entry_names(&archive);
    for hostile in HOSTILE_ENTRY_NAMES.iter().chain([&HOSTILE_SYMLINK.0]) {
        assert!(names.iter().any(|n| n == hostile), "{hostile} in {names:?}");
    }
}

#[tokio::test]
async fn status_urls_use_the_public_base_url() {
    let sandbox = TestSandbox::start(|c| c.public_url = Some("https://sandbox.example.test/".into())).await;
    let created: Value = sandbox.post("/v1/export/instruments", &doc_body()).await.json().await.unwrap();
    assert!(created["exportStatusUrl"].as_str().unwrap().starts_with("https://sandbox.example.test/v1/export/status/"));
}

#[tokio::test]
async fn real_pdfs_from_a_sources_folder_are_cut_by_page() {
    // Real PDFs made by another program would do; these are written out first, then loaded back
    // from disk like any user's files.
    let dir = tempfile::tempdir().unwrap();
    let generated = annolab_sandbox::Project::demo(annolab_sandbox::SourceSet::Generated { instruments: 12 });
    for source in generated.sources().skip(1).take(2) {
        annolab_sandbox::pdf::source_document(&source, 0).save(dir.path().join(format!("Deed Book {}.pdf", source.id))).unwrap();
    }
    let sources = annolab_sandbox::load_sources(dir.path()).unwrap();
    let sandbox = TestSandbox::start(move |c| c.sources = sources).await;
    let mut export = sandbox.export(&json!({"projectOwner": DEMO_EXPORT.0, "projectName": DEMO_EXPORT.1, "includeFiles": true})).await;
    assert!(export.instruments.iter().all(|i| i["sourceName"].as_str().unwrap().starts_with("Deed Book ")));
    assert_eq!(export.pdf_names().len(), export.instruments.len());
    export.assert_pdfs_match_their_instruments();
}

#[tokio::test]
async fn a_sources_folder_without_pdfs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a pdf").unwrap();
    let error = annolab_sandbox::load_sources(dir.path()).unwrap_err().to_string();
    assert!(error.contains("holds no .pdf files"), "{error}");
    std::fs::write(dir.path().join("broken.pdf"), "%PDF-1.4 garbage").unwrap();
    let error = annolab_sandbox::load_sources(dir.path()).unwrap_err().to_string();
    assert!(error.contains("broken.pdf is not a readable PDF"), "{error}");
}

#[tokio::test]
async fn the_demo_config_has_a_random_key_and_free_ports() {
    let a = annolab_sandbox::Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let b = annolab_sandbox::Sandbox::start(SandboxConfig::demo()).await.unwrap();
    assert_ne!(a.key(), b.key());
    assert_ne!(a.api_url(), b.api_url());
    assert_ne!(a.api_url(), a.storage_url());
    assert_eq!(a.project().instrument_count, 240);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn the_sdks_project_export_is_served_too() {
    let sandbox = TestSandbox::start(|_| {}).await;
    let response = sandbox.post("/v1/export/project", &json!({"projectIdentifier": "Example Project Name"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    support::assert_message(response, "groupName is required").await;
    let response = sandbox.post("/v1/export/project", &json!({"projectIdentifier": "Nope", "groupName": DEMO_EXPORT.0})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let body = json!({"projectIdentifier": 148, "groupName": DEMO_EXPORT.0, "includeSources": true, "sourceIds": [1921]});
    let response = sandbox.post("/v1/export/project", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["exportJob"]["isInstrumentsExport"], false);
    let zip = sandbox.download(&sandbox.wait_finished(created["exportStatusUrl"].as_str().unwrap()).await).await;
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut names = support::entry_names(&archive);
    names.sort();
    assert_eq!(
        names,
        [
            "Example Project Name.annotations.jsonl",
            "Example Project Name.layers.jsonl",
            "Example Project Name.relations.jsonl",
            "Example Project Name.sources.jsonl",
            "Uploads/Test_PDF.pdf"
        ]
    );
}
