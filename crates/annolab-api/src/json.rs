//! Transport types: the JSON AnnoLab sends and receives, kept apart from domain types.
//! Unknown fields are kept (`extra`) so nothing the server adds is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The body of `POST /v1/export/instruments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequestBody {
    pub project_owner: String,
    pub project_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_filter: Option<TagFilterBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_filter: Option<String>,
    pub include_files: bool,
}

/// The two documented `tagFilter` forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TagFilterBody {
    #[serde(rename_all = "camelCase")]
    Canonical { canonical_tag_types: Vec<String> },
    #[serde(rename_all = "camelCase")]
    IncludeExclude {
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        include_types: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        exclude_types: Vec<String>,
    },
}

/// The 201 answer to an export request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportStarted {
    pub export_status_url: String,
    pub export_job: ExportJob,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    pub id: u64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub project_id: Option<u64>,
}

/// A status poll's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportStatus {
    pub status: JobState,
    #[serde(default)]
    pub download_url: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Job states. Anything unknown (including the SDK's "initalized" spelling) means still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Finished,
    Errored,
    Running(String),
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "finished" => JobState::Finished,
            "errored" => JobState::Errored,
            _ => JobState::Running(text),
        })
    }
}

/// `GET /v1/api-key/info`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub group_name: String,
    #[serde(default)]
    pub is_single_user: bool,
}

/// `GET /v1/project/{group}/{project}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSummary {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub group_id: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tag_filter_forms_serialize_as_documented() {
        let old = TagFilterBody::Canonical { canonical_tag_types: vec!["Airframe Inventory".into()] };
        assert_eq!(serde_json::to_value(&old).unwrap(), serde_json::json!({"canonicalTagTypes": ["Airframe Inventory"]}));
        let new = TagFilterBody::IncludeExclude { include_types: vec!["A".into()], exclude_types: vec![] };
        assert_eq!(serde_json::to_value(&new).unwrap(), serde_json::json!({"includeTypes": ["A"]}));
    }

    #[test]
    fn unknown_states_are_still_running_and_extra_fields_are_kept() {
        let status: ExportStatus = serde_json::from_str(r#"{"status": "initalized", "queuePosition": 3}"#).unwrap();
        assert_eq!(status.status, JobState::Running("initalized".into()));
        assert_eq!(status.extra["queuePosition"], 3);
    }
}
