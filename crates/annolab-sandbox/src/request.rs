//! Request bodies, parsed once at the edge into types that cannot be invalid.
//!
//! Every rejection names the field and what was wrong with it, because the person reading the
//! 400 is usually writing their first integration.

use serde_json::{Map, Value};

use crate::filter::InstrumentFilter;

/// A valid `POST /v1/export/instruments` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub owner: String,
    pub project: String,
    pub filter: InstrumentFilter,
    pub include_files: bool,
}

/// A valid `/v1/instrument/search` body: an export's filters plus a 1-based page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub export: ExportRequest,
    pub page: u64,
}

/// A valid `POST /v1/export/project` body, as the official SDK's export helper sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectExportRequest {
    pub group: String,
    /// The project's name, or its id as text.
    pub project: String,
    pub include_annotation_types: bool,
    pub include_sources: bool,
    pub include_text_bounds: bool,
    pub source_ids: Option<Vec<u64>>,
    pub layers: Option<Vec<String>>,
}

impl ProjectExportRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BadRequest> {
        let body = object(body)?;
        let group = required_string(&body, "groupName")?;
        let project = match body.get("projectIdentifier") {
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            _ => required_string(&body, "projectIdentifier")?,
        };
        let flag = |field: &str| match body.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(wrong_type(field, "a boolean (true or false)", other)),
        };
        let source_ids = match body.get("sourceIds") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.as_u64().ok_or_else(|| wrong_type(&format!("sourceIds[{i}]"), "a whole number", v)))
                    .collect::<Result<_, _>>()?,
            ),
            Some(other) => return Err(wrong_type("sourceIds", "a list of source ids", other)),
        };
        let layers = match body.get("annotationLayerNames") {
            None | Some(Value::Null) => None,
            Some(_) => Some(string_list(&body, "annotationLayerNames").map_err(|e| BadRequest(e.0.replace("tagFilter.", "")))?),
        };
        Ok(ProjectExportRequest {
            group,
            project,
            include_annotation_types: flag("includeAnnotationTypes")?,
            include_sources: flag("includeSources")?,
            include_text_bounds: flag("includeTextBounds")?,
            source_ids,
            layers,
        })
    }
}

/// Why a body was refused; the text is what the client reads in `{"message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

impl ExportRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BadRequest> {
        Self::from_object(&object(body)?)
    }

    fn from_object(body: &Map<String, Value>) -> Result<Self, BadRequest> {
        let owner = required_string(body, "projectOwner")?;
        let project = required_string(body, "projectName")?;
        let mut filter = tag_filter(body.get("tagFilter"))?;
        filter.source_name = optional_string(body, "sourceFilter")?;
        let include_files = match body.get("includeFiles") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(wrong_type("includeFiles", "a boolean (true or false)", other)),
        };
        Ok(ExportRequest { owner, project, filter, include_files })
    }
}

impl SearchRequest {
    pub fn parse(body: &[u8]) -> Result<Self, BadRequest> {
        let body = object(body)?;
        let export = ExportRequest::from_object(&body)?;
        let page = match body.get("page") {
            None | Some(Value::Null) => 1,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(page) if page >= 1 => page,
                _ => return Err(BadRequest(format!("page must be a whole number of 1 or more, not {n}"))),
            },
            Some(other) => return Err(wrong_type("page", "a whole number of 1 or more", other)),
        };
        Ok(SearchRequest { export, page })
    }
}

fn object(body: &[u8]) -> Result<Map<String, Value>, BadRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BadRequest("The request body is empty; send a JSON object with projectOwner and projectName".to_owned()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(BadRequest(format!("The request body must be a JSON object, not {}", kind(&other)))),
        Err(e) => Err(BadRequest(format!("The request body is not valid JSON: {e}"))),
    }
}

fn required_string(body: &Map<String, Value>, field: &str) -> Result<String, BadRequest> {
    match body.get(field) {
        None | Some(Value::Null) => Err(BadRequest(format!("{field} is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => Err(BadRequest(format!("{field} must not be empty"))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

fn optional_string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, BadRequest> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

/// Both documented forms; if a client sends both, `canonicalTagTypes` adds to `includeTypes`.
fn tag_filter(value: Option<&Value>) -> Result<InstrumentFilter, BadRequest> {
    let map = match value {
        None | Some(Value::Null) => return Ok(InstrumentFilter::default()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(wrong_type("tagFilter", "an object", other)),
    };
    let mut include = string_list(map, "canonicalTagTypes")?;
    for t in string_list(map, "includeTypes")? {
        if !include.contains(&t) {
            include.push(t);
        }
    }
    Ok(InstrumentFilter { include_types: include, exclude_types: string_list(map, "excludeTypes")?, source_name: None })
}

fn string_list(map: &Map<String, Value>, field: &str) -> Result<Vec<String>, BadRequest> {
    let items = match map.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(wrong_type(&format!("tagFilter.{field}"), "a list of strings", other)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(wrong_type(&format!("tagFilter.{field}[{i}]"), "a string", other)),
        })
        .collect()
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> BadRequest {
    BadRequest(format!("{field} must be {expected}, not {}", kind(got)))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(body: &str) -> Result<ExportRequest, String> {
        ExportRequest::parse(body.as_bytes()).map_err(|e| e.0)
    }

    #[test]
    fn the_documented_body_parses() {
        let request = parse(
            r#"{"projectOwner": "Group Name owning project", "projectName": "Example Project Name",
                "tagFilter": {"canonicalTagTypes": ["Airframe Inventory"]}, "sourceFilter": "Test_PDF.pdf",
                "includeFiles": true}"#,
        )
        .unwrap();
        assert_eq!(request.owner, "Group Name owning project");
        assert_eq!(request.filter.include_types, ["Airframe Inventory"]);
        assert_eq!(request.filter.source_name.as_deref(), Some("Test_PDF.pdf"));
        assert!(request.include_files);
    }

    #[test]
    fn the_newer_tag_filter_form_parses() {
        let request = parse(r#"{"projectOwner":"o","projectName":"p","tagFilter":{"includeTypes":["A","B"],"excludeTypes":["C"]}}"#).unwrap();
        assert_eq!(request.filter.include_types, ["A", "B"]);
        assert_eq!(request.filter.exclude_types, ["C"]);
        assert!(!request.include_files);
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        let cases = [
            ("", "The request body is empty; send a JSON object with projectOwner and projectName"),
            ("[1]", "The request body must be a JSON object, not a list"),
            (r#"{"projectName":"p"}"#, "projectOwner is required"),
            (r#"{"projectOwner":"o"}"#, "projectName is required"),
            (r#"{"projectOwner":" ","projectName":"p"}"#, "projectOwner must not be empty"),
            (r#"{"projectOwner":5,"projectName":"p"}"#, "projectOwner must be a string, not a number"),
            (r#"{"projectOwner":"o","projectName":"p","includeFiles":"yes"}"#, "includeFiles must be a boolean (true or false), not a string"),
            (r#"{"projectOwner":"o","projectName":"p","sourceFilter":[]}"#, "sourceFilter must be a string, not a list"),
            (r#"{"projectOwner":"o","projectName":"p","tagFilter":"Airframe"}"#, "tagFilter must be an object, not a string"),
            (r#"{"projectOwner":"o","projectName":"p","tagFilter":{"includeTypes":"A"}}"#, "tagFilter.includeTypes must be a list of strings, not a string"),
            (r#"{"projectOwner":"o","projectName":"p","tagFilter":{"excludeTypes":["A",3]}}"#, "tagFilter.excludeTypes[1] must be a string, not a number"),
        ];
        for (body, message) in cases {
            assert_eq!(parse(body).unwrap_err(), message, "body: {body}");
        }
        assert!(parse("{\"projectOwner\":").unwrap_err().starts_with("The request body is not valid JSON"));
    }

    #[test]
    fn search_pages_start_at_one() {
        let ok = SearchRequest::parse(br#"{"projectOwner":"o","projectName":"p","page":3}"#).unwrap();
        assert_eq!(ok.page, 3);
        assert_eq!(SearchRequest::parse(br#"{"projectOwner":"o","projectName":"p"}"#).unwrap().page, 1);
        for bad in ["0", "-1", "1.5", "\"2\""] {
            let body = format!(r#"{{"projectOwner":"o","projectName":"p","page":{bad}}}"#);
            assert!(SearchRequest::parse(body.as_bytes()).unwrap_err().0.starts_with("page must be"), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = ExportRequest::parse(&body);
            let _ = SearchRequest::parse(&body);
        }

        #[test]
        fn arbitrary_json_values_in_every_field_never_panic(
            owner in json_value(), project in json_value(), tags in json_value(), source in json_value(),
            files in json_value(), page in json_value(),
        ) {
            let body = serde_json::json!({
                "projectOwner": owner, "projectName": project, "tagFilter": tags,
                "sourceFilter": source, "includeFiles": files, "page": page,
            });
            let bytes = serde_json::to_vec(&body).unwrap();
            let _ = ExportRequest::parse(&bytes);
            let _ = SearchRequest::parse(&bytes);
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::hash_map("(includeTypes|excludeTypes|canonicalTagTypes|.{0,6})", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
