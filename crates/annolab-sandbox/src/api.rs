//! The AnnoLab V1 API routes the product relies on, with the documented auth and error shapes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::ApiKey;
use crate::archive::{self, ArchiveShape};
use crate::faults::Faults;
use crate::jobs::{Build, JobStatus, Jobs};
use crate::project::Project;
use crate::request::{ExportRequest, ProjectExportRequest, SearchRequest};
use crate::storage::Signer;

/// Request bodies are small JSON objects; anything larger is refused before it is read.
pub const BODY_LIMIT: usize = 64 * 1024;
const SEARCH_PAGE_SIZE: usize = 100;

#[derive(Clone)]
pub(crate) struct ApiState {
    pub project: Arc<Project>,
    pub keys: Arc<Vec<ApiKey>>,
    pub jobs: Arc<Jobs>,
    pub faults: Arc<Faults>,
    pub signer: Signer,
    pub api_base: Arc<str>,
    pub storage_base: Arc<str>,
    pub job_time: Duration,
    pub url_ttl: Duration,
    pub scan_bytes_per_page: usize,
}

pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/v1/export/instruments", post(start_export))
        .route("/v1/export/project", post(start_project_export))
        .route("/v1/export/status/{id}", get(export_status))
        .route("/v1/api-key/info", get(key_info))
        .route("/v1/project/{group}/{project}", get(project_info))
        .route("/v1/instrument/search", post(search).get(search))
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::new(StatusCode::NOT_FOUND, format!("There is no {method} {} in the AnnoLab V1 API.", uri.path()))
        })
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} does not accept {method}.", uri.path()))
        })
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// An error response: a status and the `{"message": ...}` body every AnnoLab error carries.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    /// The `Retry-After` header's value, in seconds or as an HTTP date.
    retry_after: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), retry_after: None }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(json!({ "message": self.message }))).into_response();
        if let Some(value) = self.retry_after.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

async fn rate_limit(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    match state.faults.take_rate_limit() {
        Some(secs) => ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!("Request was throttled. Expected available in {secs} second{}.", if secs == 1 { "" } else { "s" }),
            retry_after: Some(state.faults.retry_after_value(secs)),
        }
        .into_response(),
        None => next.run(request).await,
    }
}

/// Checks `Authorization: Api-Key <key>`; `read` demands the key's Read permission.
fn authorize<'a>(state: &'a ApiState, headers: &HeaderMap, read: bool) -> Result<&'a ApiKey, ApiError> {
    let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, message);
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("Authentication credentials were not provided. Send the header 'Authorization: Api-Key <your key>'."))?;
    let value = value.to_str().map_err(|_| unauthorized("The Authorization header is not readable text."))?;
    let key = match value.trim().split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("Api-Key") => key.trim(),
        _ => return Err(unauthorized("The Authorization header must be 'Api-Key <your key>'.")),
    };
    let known = state.keys.iter().find(|k| k.key == key).ok_or_else(|| unauthorized("Invalid API key."))?;
    if read && !known.read {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "This API key does not have Read permission, which exports require."));
    }
    Ok(known)
}

/// The project named by owner and name, if the sandbox serves it.
fn find_project<'a>(state: &'a ApiState, owner: &str, name: &str) -> Result<&'a Project, ApiError> {
    let project = &*state.project;
    if project.owner == owner && project.name == name {
        Ok(project)
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, format!("Project '{name}' owned by '{owner}' was not found.")))
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("The request body is larger than {} KiB.", BODY_LIMIT / 1024)),
        _ => ApiError::bad_request("The request body could not be read."),
    })
}

async fn start_export(State(state): State<ApiState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    authorize(&state, &headers, true)?;
    let request = ExportRequest::parse(&body_bytes(body)?).map_err(|e| ApiError::bad_request(e.0))?;
    let project_id = find_project(&state, &request.owner, &request.project)?.id;
    let shape = ArchiveShape {
        malformed_lines: state.faults.malformed_lines(),
        hostile_entries: state.faults.hostile_entries(),
        integrity_problems: state.faults.integrity_problems(),
        instruments_last: state.faults.instruments_last(),
        scan_bytes_per_page: state.scan_bytes_per_page,
    };
    let job = start_job(&state, project_id, move |path, project| archive::write(path, project, &request, shape));
    Ok(created(&state, job.id, project_id, true))
}

/// `POST /v1/export/project`, the official SDK's `Project.export`: the project's annotations,
/// layers and relations as JSON Lines, optionally with sources, text bounds and annotation types.
async fn start_project_export(State(state): State<ApiState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    authorize(&state, &headers, true)?;
    let request = ProjectExportRequest::parse(&body_bytes(body)?).map_err(|e| ApiError::bad_request(e.0))?;
    let project = &*state.project;
    if project.owner != request.group || (project.name != request.project && project.id.to_string() != request.project) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, format!("Project '{}' owned by '{}' was not found.", request.project, request.group)));
    }
    let project_id = project.id;
    let job = start_job(&state, project_id, move |path, project| archive::write_project(path, project, &request));
    Ok(created(&state, job.id, project_id, false))
}

/// Creates a job and builds its archive in the background with `build`.
fn start_job(
    state: &ApiState,
    project_id: u64,
    build: impl FnOnce(&std::path::Path, &Project) -> Result<archive::ArchiveSummary, archive::ArchiveError> + Send + 'static,
) -> Arc<crate::jobs::Job> {
    let job = state.jobs.create(project_id, state.job_time, state.faults.take_job_error());
    let (project, archive_path, build_job) = (Arc::clone(&state.project), state.jobs.archive_path(job.id), Arc::clone(&job));
    tokio::task::spawn_blocking(move || {
        let part = archive_path.with_extension("zip.part");
        let outcome = match build(&part, &project).and_then(|summary| {
            std::fs::rename(&part, &archive_path)?;
            Ok(summary)
        }) {
            Ok(summary) => Build::Done { archive: archive_path, summary },
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                tracing::warn!(job = build_job.id, error = %e, "export build failed");
                Build::Failed(format!("The export could not be built: {e}"))
            }
        };
        build_job.finish_build(outcome);
    });
    job
}

fn created(state: &ApiState, job_id: u64, project_id: u64, instruments: bool) -> Response {
    let body = json!({
        "message": "Export Request Successful. To check export status make a GET request at exportStatusUrl in response body",
        "exportStatusUrl": format!("{}/v1/export/status/{}", state.api_base, job_id),
        "exportJob": {"id": job_id, "status": "initialized", "projectId": project_id, "isInstrumentsExport": instruments},
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

async fn export_status(State(state): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    authorize(&state, &headers, true)?;
    if state.faults.take_failing_poll() {
        return Err(ApiError::new(StatusCode::BAD_GATEWAY, "Bad Gateway: the export service did not answer in time. Try again."));
    }
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, format!("Export job '{id}' was not found."));
    let job = id.parse::<u64>().ok().and_then(|id| state.jobs.get(id)).ok_or_else(not_found)?;
    let status = job.status(Instant::now());
    let mut body = json!({
        "id": job.id,
        "status": status.as_str(),
        "projectId": job.project_id,
        "isInstrumentsExport": true,
        "downloadUrl": null,
        "error": null,
    });
    match &status {
        JobStatus::Finished { .. } => {
            let ttl = state.faults.url_ttl().unwrap_or(state.url_ttl);
            body["downloadUrl"] = Value::String(state.signer.url(&state.storage_base, job.id, ttl));
        }
        JobStatus::Errored(message) => body["error"] = Value::String(message.clone()),
        JobStatus::Initialized | JobStatus::Started => {}
    }
    Ok(axum::Json(body).into_response())
}

async fn key_info(State(state): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let key = authorize(&state, &headers, false)?;
    let project = &state.project;
    Ok(axum::Json(json!({
        "name": "Sandbox API key",
        "permissions": if key.read { vec!["Read"] } else { Vec::new() },
        "groups": [
            {"groupName": project.owner, "groupId": project.group_id, "isSingleUser": false},
            {"groupName": "sandbox-user", "groupId": project.group_id + 1, "isSingleUser": true},
        ],
    }))
    .into_response())
}

async fn project_info(State(state): State<ApiState>, headers: HeaderMap, Path((group, name)): Path<(String, String)>) -> Result<Response, ApiError> {
    authorize(&state, &headers, true)?;
    let project = find_project(&state, &group, &name)?;
    Ok(axum::Json(json!({
        "id": project.id, "name": project.name, "groupName": project.owner, "groupId": project.group_id,
        "defaultDirectory": "Uploads", "instrumentCount": project.instrument_count(),
    }))
    .into_response())
}

async fn search(State(state): State<ApiState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    authorize(&state, &headers, true)?;
    let request = SearchRequest::parse(&body_bytes(body)?).map_err(|e| ApiError::bad_request(e.0))?;
    find_project(&state, &request.export.owner, &request.export.project)?;
    let project = Arc::clone(&state.project);
    // Walking a million generated instruments takes a moment: keep it off the async workers.
    let page = tokio::task::spawn_blocking(move || {
        let skip = (request.page - 1).saturating_mul(SEARCH_PAGE_SIZE as u64);
        let mut matches = project.instruments().filter(|(source, i)| request.export.filter.keeps(source, i));
        // `nth` rather than `skip` so a huge page number stops at the end instead of overflowing.
        let first = if skip == 0 { matches.next() } else { usize::try_from(skip).ok().and_then(|n| matches.nth(n)) };
        let mut results: Vec<Value> = first.into_iter().chain(matches.by_ref().take(SEARCH_PAGE_SIZE - 1)).map(|(_, i)| json!(i)).collect();
        let has_more = results.len() == SEARCH_PAGE_SIZE && matches.next().is_some();
        results.shrink_to_fit();
        json!({"page": request.page, "hasMorePages": has_more, "results": results})
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The search was interrupted; try again."))?;
    Ok(axum::Json(page).into_response())
}
