//! Stage 1, request: user input parsed once into an [`ExportRequest`] that cannot be invalid.

use annolab_api::json::{ExportRequestBody, TagFilterBody};
use serde::{Deserialize, Serialize};

/// What a person typed or passed on the command line, before any checking.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportInput {
    pub owner: String,
    pub project: String,
    /// The newer form: `includeTypes`.
    #[serde(default)]
    pub include_tags: Vec<String>,
    /// The newer form: `excludeTypes`.
    #[serde(default)]
    pub exclude_tags: Vec<String>,
    /// The older form: `canonicalTagTypes`.
    #[serde(default)]
    pub canonical_tags: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub include_files: bool,
}

/// A valid export request.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub owner: String,
    pub project: String,
    pub tags: TagFilter,
    pub source: Option<String>,
    pub include_files: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "form")]
pub enum TagFilter {
    None,
    /// `{"canonicalTagTypes": [...]}`
    Canonical {
        types: Vec<String>,
    },
    /// `{"includeTypes": [...], "excludeTypes": [...]}`
    IncludeExclude {
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error("The project owner is required: the group name shown on AnnoLab's \"All Projects\" page.")]
    MissingOwner,
    #[error("The project name is required.")]
    MissingProject,
    #[error("Use either the older tag form (--tag) or include/exclude tags, not both in one export.")]
    MixedTagForms,
    #[error("The tag {tag:?} is both included and excluded; exclude would win, so nothing with it could be exported. Remove it from one list.")]
    TagIncludedAndExcluded { tag: String },
}

impl RequestError {
    /// The form field the error is about, so a form can show it in place.
    pub fn field(&self) -> &'static str {
        match self {
            RequestError::MissingOwner => "owner",
            RequestError::MissingProject => "project",
            RequestError::MixedTagForms | RequestError::TagIncludedAndExcluded { .. } => "tags",
        }
    }
}

impl ExportRequest {
    pub fn parse(input: ExportInput) -> Result<Self, RequestError> {
        let owner = input.owner.trim().to_owned();
        if owner.is_empty() {
            return Err(RequestError::MissingOwner);
        }
        let project = input.project.trim().to_owned();
        if project.is_empty() {
            return Err(RequestError::MissingProject);
        }
        let include = tag_list(input.include_tags);
        let exclude = tag_list(input.exclude_tags);
        let canonical = tag_list(input.canonical_tags);
        let newer_form = !include.is_empty() || !exclude.is_empty();
        if !canonical.is_empty() && newer_form {
            return Err(RequestError::MixedTagForms);
        }
        if let Some(tag) = include.iter().find(|t| exclude.contains(t)) {
            return Err(RequestError::TagIncludedAndExcluded { tag: tag.clone() });
        }
        let tags = if !canonical.is_empty() {
            TagFilter::Canonical { types: canonical }
        } else if include.is_empty() && exclude.is_empty() {
            TagFilter::None
        } else {
            TagFilter::IncludeExclude { include, exclude }
        };
        // The source filter is an exact file name: only surrounding whitespace is dropped.
        let source = input.source.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(ExportRequest { owner, project, tags, source, include_files: input.include_files })
    }

    /// The form input that parses back to this request, for "export again with the same settings".
    pub fn to_input(&self) -> ExportInput {
        let (include_tags, exclude_tags, canonical_tags) = match &self.tags {
            TagFilter::None => Default::default(),
            TagFilter::Canonical { types } => (Vec::new(), Vec::new(), types.clone()),
            TagFilter::IncludeExclude { include, exclude } => (include.clone(), exclude.clone(), Vec::new()),
        };
        ExportInput {
            owner: self.owner.clone(),
            project: self.project.clone(),
            include_tags,
            exclude_tags,
            canonical_tags,
            source: self.source.clone(),
            include_files: self.include_files,
        }
    }

    /// The JSON body AnnoLab expects.
    pub fn body(&self) -> ExportRequestBody {
        ExportRequestBody {
            project_owner: self.owner.clone(),
            project_name: self.project.clone(),
            tag_filter: match &self.tags {
                TagFilter::None => None,
                TagFilter::Canonical { types } => Some(TagFilterBody::Canonical { canonical_tag_types: types.clone() }),
                TagFilter::IncludeExclude { include, exclude } => {
                    Some(TagFilterBody::IncludeExclude { include_types: include.clone(), exclude_types: exclude.clone() })
                }
            },
            source_filter: self.source.clone(),
            include_files: self.include_files,
        }
    }
}

/// Trims, drops empties and duplicates, keeps the order given. Tags match case-sensitively on
/// the server, so case is kept as typed.
fn tag_list(tags: Vec<String>) -> Vec<String> {
    let mut list: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        if !tag.is_empty() && !list.iter().any(|t| t == tag) {
            list.push(tag.to_owned());
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ExportInput {
        ExportInput { owner: " Group Name owning project ".into(), project: "Example Project Name".into(), ..Default::default() }
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated_in_order() {
        let request = ExportRequest::parse(ExportInput {
            include_tags: vec![" Airframe Inventory".into(), "Engine Inventory".into(), "Airframe Inventory ".into(), "  ".into()],
            exclude_tags: vec!["Privileged".into()],
            ..input()
        })
        .unwrap();
        assert_eq!(request.owner, "Group Name owning project");
        assert_eq!(
            request.tags,
            TagFilter::IncludeExclude { include: vec!["Airframe Inventory".into(), "Engine Inventory".into()], exclude: vec!["Privileged".into()] }
        );
    }

    #[test]
    fn the_older_form_serializes_as_canonical_tag_types() {
        let request = ExportRequest::parse(ExportInput { canonical_tags: vec!["Airframe Inventory".into()], include_files: true, ..input() }).unwrap();
        let body = serde_json::to_value(request.body()).unwrap();
        assert_eq!(body["tagFilter"], serde_json::json!({"canonicalTagTypes": ["Airframe Inventory"]}));
        assert_eq!(body["includeFiles"], true);
        assert!(body.get("sourceFilter").is_none());
    }

    #[test]
    fn a_request_gives_back_the_input_it_came_from() {
        for input in [
            ExportInput { include_tags: vec!["A".into()], exclude_tags: vec!["B".into()], source: Some("Test_PDF.pdf".into()), ..input() },
            ExportInput { canonical_tags: vec!["A".into()], include_files: true, ..input() },
        ] {
            let request = ExportRequest::parse(input).unwrap();
            assert_eq!(ExportRequest::parse(request.to_input()).unwrap(), request);
        }
    }

    #[test]
    fn invalid_input_is_refused_with_a_reason() {
        assert_eq!(ExportRequest::parse(ExportInput { owner: " ".into(), ..input() }), Err(RequestError::MissingOwner));
        assert_eq!(ExportRequest::parse(ExportInput { project: "".into(), ..input() }), Err(RequestError::MissingProject));
        assert_eq!(
            ExportRequest::parse(ExportInput { canonical_tags: vec!["A".into()], exclude_tags: vec!["B".into()], ..input() }),
            Err(RequestError::MixedTagForms)
        );
        assert_eq!(
            ExportRequest::parse(ExportInput { include_tags: vec!["A".into()], exclude_tags: vec![" A".into()], ..input() }),
            Err(RequestError::TagIncludedAndExcluded { tag: "A".into() })
        );
    }
}
