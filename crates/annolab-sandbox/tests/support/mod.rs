//! Helpers that make the HTTP tests read like the scenario.

#![allow(dead_code)]

use std::time::Duration;

use annolab_sandbox::{Faults, Sandbox, SandboxConfig};
use serde_json::{Value, json};

pub const KEY: &str = "test-key";
pub const DEMO_EXPORT: (&str, &str) = ("Group Name owning project", "Example Project Name");

/// The documentation sample's request body.
pub fn doc_body() -> Value {
    json!({
        "projectOwner": DEMO_EXPORT.0,
        "projectName": DEMO_EXPORT.1,
        "tagFilter": {"canonicalTagTypes": ["Airframe Inventory"]},
        "sourceFilter": "Test_PDF.pdf",
        "includeFiles": true,
    })
}

pub struct TestSandbox {
    sandbox: Sandbox,
    client: reqwest::Client,
}

impl TestSandbox {
    /// A sandbox with instant jobs and the key [`KEY`], adjusted by `configure`.
    pub async fn start(configure: impl FnOnce(&mut SandboxConfig)) -> Self {
        let mut config = SandboxConfig::with_key(KEY);
        config.job_time = Duration::ZERO;
        configure(&mut config);
        TestSandbox { sandbox: Sandbox::start(config).await.unwrap(), client: reqwest::Client::new() }
    }

    pub fn api_url(&self) -> String {
        self.sandbox.api_url()
    }

    pub fn storage_url(&self) -> String {
        self.sandbox.storage_url()
    }

    pub fn faults(&self) -> &Faults {
        self.sandbox.faults()
    }

    pub fn auth(&self) -> String {
        format!("Api-Key {KEY}")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_url(&format!("{}{path}", self.api_url())).await
    }

    pub async fn get_url(&self, url: &str) -> reqwest::Response {
        self.client.get(url).header("Authorization", self.auth()).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.post_raw(path, &body.to_string()).await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.api_url()))
            .header("Authorization", self.auth())
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn request_with_auth(&self, method: &str, path: &str, auth: Option<&str>, body: Option<Value>) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.api_url()));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Polls a status URL until the job finishes; returns its download URL.
    pub async fn wait_finished(&self, status_url: &str) -> String {
        for _ in 0..400 {
            let status: Value = self.get_url(status_url).await.json().await.unwrap();
            match status["status"].as_str().unwrap() {
                "finished" => return status["downloadUrl"].as_str().unwrap().to_owned(),
                "errored" => panic!("job errored: {status}"),
                _ => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
        panic!("job did not finish in 10 s")
    }

    pub async fn finished_download_url(&self, body: &Value) -> String {
        let response = self.post("/v1/export/instruments", body).await;
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        self.wait_finished(created["exportStatusUrl"].as_str().unwrap()).await
    }

    /// A plain GET, as both reference clients download: no Authorization header.
    pub async fn download(&self, url: &str) -> Vec<u8> {
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
        response.bytes().await.unwrap().to_vec()
    }

    pub async fn export(&self, body: &Value) -> Export {
        Export::read(self.download(&self.finished_download_url(body).await).await)
    }
}

/// A downloaded export, opened.
pub struct Export {
    pub instruments: Vec<Value>,
    pub archive: zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
}

impl Export {
    pub fn read(zip: Vec<u8>) -> Self {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let text = std::io::read_to_string(archive.by_name("instruments.json").unwrap()).unwrap();
        let instruments = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        Export { instruments, archive }
    }

    pub fn pdf_names(&self) -> Vec<String> {
        entry_names(&self.archive).into_iter().filter(|n| n.starts_with("pdfs/")).collect()
    }

    /// Every PDF is named `<Type>_<start>-<end>_<id>.pdf` after an instrument and has its pages.
    pub fn assert_pdfs_match_their_instruments(&mut self) {
        for name in self.pdf_names() {
            let id: u64 = name.trim_end_matches(".pdf").rsplit('_').next().unwrap().parse().unwrap();
            let instrument = self.instruments.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no instrument for {name}"));
            let (start, end) = (instrument["startPageNumber"].as_u64().unwrap(), instrument["endPageNumber"].as_u64().unwrap());
            assert!(name.ends_with(&format!("_{start}-{end}_{id}.pdf")), "{name}");
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut self.archive.by_name(&name).unwrap(), &mut data).unwrap();
            let pages = annolab_sandbox::pdf::page_count(&data).unwrap() as u64;
            assert_eq!(pages, end - start + 1, "{name}");
        }
    }
}

/// The response is an AnnoLab error: a JSON body whose message contains `text`.
pub async fn assert_message(response: reqwest::Response, text: &str) {
    let body: Value = response.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_else(|| panic!("no message in {body}"));
    assert!(message.contains(text), "{message:?} should contain {text:?}");
}

/// Every entry name of a zip, as text.
pub fn entry_names<R: std::io::Read + std::io::Seek>(archive: &zip::ZipArchive<R>) -> Vec<String> {
    archive.file_names().map(|n| n.unwrap().into_owned()).collect()
}
