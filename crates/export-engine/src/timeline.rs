//! One group's instruments in date order: the chain of title of one aircraft (the group of a tag
//! attribute and a value, e.g. Serial Number = MC-453, as the browser groups them), ordered by
//! a date field the user chooses among those whose values are dates.
//!
//! A field is a name: an instrument's values for it are its tag attributes of that name and
//! its annotations of that type, so "Recording Date" works wherever the export carries it.
//! Attributes come from the index; annotation values do not, since the index only feeds them
//! to the (contentless) full-text index. They are read from each instrument's own line of
//! `instruments.json`, which the index points at: a group is tens of instruments, a few seeks,
//! and older exports need no schema upgrade for it.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::browse::{AttributeValue, Browser};
use crate::dates::{self, DateValue};
use crate::error::EngineError;

/// The field chosen when none is given, if the group has it.
pub const RECORDING_DATE: &str = "Recording Date";

/// A field of a group whose values are dates, for the user to order by.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateField {
    pub name: String,
    /// Instruments of the group with a value in this field.
    pub with_value: u64,
    /// Of those, how many have a value that reads as a date.
    pub dated: u64,
    /// And how many have one shaped like a date that is none (`13/45/1998`).
    pub unparseable: u64,
    pub in_attributes: bool,
    pub in_annotations: bool,
}

/// How an instrument's place in the timeline was decided.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Dating {
    /// By its date.
    Dated,
    /// It has no value in the field: it comes last.
    Undated,
    /// Its value looks like a date but is none: it comes last, the value shown as it is.
    Unparseable,
    /// No field orders the timeline (the group has none with dates): id order.
    NotOrdered,
}

/// One instrument of a timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub id: u64,
    pub type_name: Option<String>,
    pub source_name: Option<String>,
    pub start_page: Option<u64>,
    pub end_page: Option<u64>,
    /// Pages in its PDF, as indexed, when it has a readable one.
    pub pdf_pages: Option<u64>,
    pub has_pdf: bool,
    pub dating: Dating,
    /// The date, `YYYY-MM-DD`, when it is [`Dating::Dated`].
    pub date: Option<String>,
    /// The value as the export has it (the one the date was read from, or the first one that
    /// did not read); several values of one instrument are reduced to the earliest date.
    pub value: Option<String>,
    /// Other instruments of the same type on the same date: possibly the same document twice.
    pub possible_duplicates: Vec<u64>,
}

/// A group's instruments in date order: dated ones by date (ties in id order), then the ones
/// with an unparseable value, then the undated ones, each in id order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub group: AttributeValue,
    /// The field it is ordered by; none when the group has no date field.
    pub order_by: Option<String>,
    pub entries: Vec<TimelineEntry>,
    pub undated: u64,
    pub unparseable: u64,
    /// Instruments marked as possible duplicates.
    pub possible_duplicates: u64,
}

impl Timeline {
    /// The instrument ids in timeline order.
    pub fn ids(&self) -> Vec<u64> {
        self.entries.iter().map(|e| e.id).collect()
    }
}

/// The field to order by when the user names none: "Recording Date" if the group has it as a
/// date field, else the field with the most dated instruments, else none (id order).
pub fn default_order(fields: &[DateField]) -> Option<&str> {
    fields.iter().find(|f| f.name.eq_ignore_ascii_case(RECORDING_DATE)).or_else(|| fields.first()).map(|f| f.name.as_str())
}

impl Browser {
    /// The export's tag attribute called `name`: spelled exactly so, else the one spelled so in
    /// another case or with other spaces around it. None such is an error listing the names.
    pub fn attribute_named(&self, name: &str) -> Result<String, EngineError> {
        let names = self.attribute_names()?;
        if let Some(exact) = names.iter().find(|n| n.as_str() == name) {
            return Ok(exact.clone());
        }
        let loose: Vec<&String> = names.iter().filter(|n| n.trim().eq_ignore_ascii_case(name.trim())).collect();
        match loose.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(EngineError::UnknownAttribute { name: name.to_owned(), found: quoted_list(names.iter().map(String::as_str)) }),
        }
    }

    /// The group of instruments whose attribute `name` is `value`: the value spelled exactly
    /// so, else the one value spelled so in another case (ASCII) or with other spaces around
    /// it; two such would be a guess, so neither is taken.
    pub fn group(&self, name: &str, value: &str) -> Result<AttributeValue, EngineError> {
        let mut statement = self.db().prepare_cached(
            "SELECT DISTINCT value FROM attributes WHERE name = ?1 AND (value = ?2 OR lower(trim(value)) = lower(trim(?2))) ORDER BY value = ?2 DESC, value LIMIT 3",
        )?;
        let found: Vec<String> = statement.query_map(rusqlite::params![name, value], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let group = |value: &str| AttributeValue { name: name.to_owned(), value: Some(value.to_owned()) };
        match found.as_slice() {
            [first, ..] if first == value => Ok(group(first)),
            [one] => Ok(group(one)),
            // None, or several that differ only in case: the user says which, exactly.
            _ => Err(EngineError::GroupNotFound { name: name.to_owned(), value: value.to_owned() }),
        }
    }

    /// The fields of the group whose values are mostly dates (more than half of the instruments
    /// with a value in them read as dates), most dated first, ties by name.
    pub fn date_fields(&self, group: &AttributeValue) -> Result<Vec<DateField>, EngineError> {
        let members = self.members(group)?;
        let mut fields: BTreeMap<String, DateField> = BTreeMap::new();
        for member in &members {
            for (name, values) in &member.fields {
                let field = fields.entry(name.clone()).or_insert_with(|| DateField {
                    name: name.clone(),
                    with_value: 0,
                    dated: 0,
                    unparseable: 0,
                    in_attributes: false,
                    in_annotations: false,
                });
                field.with_value += 1;
                field.in_attributes |= values.iter().any(|v| v.from_attribute);
                field.in_annotations |= values.iter().any(|v| !v.from_attribute);
                match reading(values) {
                    (DateValue::Date(_), _) => field.dated += 1,
                    (DateValue::Unparseable, _) => field.unparseable += 1,
                    (DateValue::None, _) => {}
                }
            }
        }
        let mut fields: Vec<DateField> = fields.into_values().filter(|f| f.dated > 0 && f.dated * 2 > f.with_value).collect();
        fields.sort_by(|a, b| b.dated.cmp(&a.dated).then_with(|| a.name.cmp(&b.name)));
        Ok(fields)
    }

    /// The group's timeline by `order_by`, else by its default date field ([`default_order`];
    /// none: id order). What both front ends show when the user has not chosen a field yet.
    pub fn timeline_by(&self, group: &AttributeValue, order_by: Option<&str>) -> Result<Timeline, EngineError> {
        let field = match order_by {
            Some(field) => Some(field.to_owned()),
            None => default_order(&self.date_fields(group)?).map(str::to_owned),
        };
        self.timeline(group, field.as_deref())
    }

    /// The group's instruments ordered by `order_by` (a field name, any case), or in id order
    /// when it is `None`. A name no instrument of the group has a value for is an error naming
    /// the group's date fields; a field whose values are no dates orders nothing but is allowed
    /// (every entry then shows its value as unparseable or undated).
    pub fn timeline(&self, group: &AttributeValue, order_by: Option<&str>) -> Result<Timeline, EngineError> {
        let members = self.members(group)?;
        let field = match order_by {
            None => None,
            Some(wanted) => {
                let found = members.iter().flat_map(|m| m.fields.keys()).find(|name| name.eq_ignore_ascii_case(wanted.trim())).cloned();
                match found {
                    Some(name) => Some(name),
                    None => {
                        let fields = self.date_fields(group)?;
                        let found = quoted_list(fields.iter().map(|f| f.name.as_str()));
                        return Err(EngineError::UnknownDateField { name: wanted.to_owned(), found });
                    }
                }
            }
        };
        let mut entries: Vec<(Option<time::Date>, TimelineEntry)> = members
            .into_iter()
            .map(|member| {
                let (dating, date, value) = match &field {
                    None => (Dating::NotOrdered, None, None),
                    Some(name) => match member.fields.get(name) {
                        None => (Dating::Undated, None, None),
                        Some(values) => match reading(values) {
                            (DateValue::Date(date), value) => (Dating::Dated, Some(date), value),
                            (DateValue::Unparseable, value) => (Dating::Unparseable, None, value),
                            (DateValue::None, value) => (Dating::Undated, None, value),
                        },
                    },
                };
                let row = member.row;
                let entry = TimelineEntry {
                    id: row.id,
                    type_name: row.type_name,
                    source_name: row.source_name,
                    start_page: row.start_page,
                    end_page: row.end_page,
                    pdf_pages: row.pdf_pages,
                    has_pdf: row.has_pdf,
                    dating,
                    date: date.map(dates::iso_text),
                    value,
                    possible_duplicates: Vec::new(),
                };
                (date, entry)
            })
            .collect();
        let rank = |dating: Dating| match dating {
            Dating::Dated | Dating::NotOrdered => 0,
            Dating::Unparseable => 1,
            Dating::Undated => 2,
        };
        entries.sort_by(|(a_date, a), (b_date, b)| rank(a.dating).cmp(&rank(b.dating)).then(a_date.cmp(b_date)).then(a.id.cmp(&b.id)));

        let mut same_day: HashMap<(&str, time::Date), Vec<u64>> = HashMap::new();
        for (date, entry) in &entries {
            if let Some(date) = date {
                same_day.entry((entry.type_name.as_deref().unwrap_or_default(), *date)).or_default().push(entry.id);
            }
        }
        let twins: HashMap<u64, Vec<u64>> = same_day
            .into_values()
            .filter(|ids| ids.len() > 1)
            .flat_map(|ids| ids.clone().into_iter().map(move |id| (id, ids.iter().copied().filter(|&other| other != id).collect())))
            .collect();
        let entries: Vec<TimelineEntry> = entries
            .into_iter()
            .map(|(_, mut entry)| {
                entry.possible_duplicates = twins.get(&entry.id).cloned().unwrap_or_default();
                entry
            })
            .collect();
        let count = |test: fn(&TimelineEntry) -> bool| entries.iter().filter(|e| test(e)).count() as u64;
        Ok(Timeline {
            group: group.clone(),
            order_by: field,
            undated: count(|e| e.dating == Dating::Undated),
            unparseable: count(|e| e.dating == Dating::Unparseable),
            possible_duplicates: count(|e| !e.possible_duplicates.is_empty()),
            entries,
        })
    }

    /// The group's instruments in id order, each with its tag attributes and annotations by
    /// name. A group without instruments is an error: it is a value nobody has.
    fn members(&self, group: &AttributeValue) -> Result<Vec<Member>, EngineError> {
        let value = group.value.clone().map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Text);
        let rows = {
            let mut statement = self.db().prepare_cached(&format!(
                "SELECT {} FROM instruments i WHERE i.id IN (SELECT instrument_id FROM attributes WHERE name = ?1 AND value IS ?2) ORDER BY i.id",
                crate::browse::ROW_COLUMNS
            ))?;
            let rows = statement.query_map(rusqlite::params![group.name, value], |r| crate::browse::read_row(r, 0))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        if rows.is_empty() {
            return Err(EngineError::GroupNotFound { name: group.name.clone(), value: group.value.clone().unwrap_or_else(|| "(no value)".to_owned()) });
        }
        let mut attributes: HashMap<u64, Vec<(String, String)>> = HashMap::new();
        {
            let mut statement = self.db().prepare_cached(
                "SELECT instrument_id, name, value FROM attributes WHERE value IS NOT NULL AND instrument_id IN (SELECT instrument_id FROM attributes WHERE name = ?1 AND value IS ?2)",
            )?;
            let found = statement
                .query_map(rusqlite::params![group.name, value], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            for row in found {
                let (id, name, value) = row?;
                attributes.entry(id).or_default().push((name, value));
            }
        }
        rows.into_iter()
            .map(|row| {
                let mut fields: BTreeMap<String, Vec<FieldValue>> = BTreeMap::new();
                for (name, text) in attributes.remove(&row.id).unwrap_or_default() {
                    fields.entry(name).or_default().push(FieldValue { text, from_attribute: true });
                }
                for (name, text) in annotations(&self.instrument_json(row.id)?) {
                    fields.entry(name).or_default().push(FieldValue { text, from_attribute: false });
                }
                fields.retain(|_, values| {
                    values.retain(|v| !v.text.trim().is_empty());
                    !values.is_empty()
                });
                Ok(Member { row, fields })
            })
            .collect()
    }
}

/// `"a", "b"`, or `none`.
fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    if list.is_empty() { "none".to_owned() } else { list.join(", ") }
}

/// One instrument of a group and its values by field name.
struct Member {
    row: crate::browse::Row,
    fields: BTreeMap<String, Vec<FieldValue>>,
}

struct FieldValue {
    text: String,
    from_attribute: bool,
}

/// What an instrument's values in one field say: the earliest date among them, else
/// unparseable if one looks like a date, else none; with the value it was read from.
fn reading(values: &[FieldValue]) -> (DateValue, Option<String>) {
    let read: Vec<(DateValue, &str)> = values.iter().map(|v| (dates::parse(&v.text), v.text.as_str())).collect();
    if let Some((date, text)) = read.iter().filter_map(|(d, text)| if let DateValue::Date(d) = d { Some((*d, *text)) } else { None }).min_by_key(|(d, _)| *d) {
        return (DateValue::Date(date), Some(text.to_owned()));
    }
    if let Some((_, text)) = read.iter().find(|(d, _)| *d == DateValue::Unparseable) {
        return (DateValue::Unparseable, Some((*text).to_owned()));
    }
    (DateValue::None, values.first().map(|v| v.text.clone()))
}

/// (type name, value) of every annotation in an instrument's JSON that has both; the value as
/// text (`value`, else `rawValue`), numbers written out.
fn annotations(json: &str) -> Vec<(String, String)> {
    let Ok(object) = serde_json::from_str::<Value>(json) else { return Vec::new() };
    let list = object.get("annotations").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter_map(|a| {
            let name = a.get("typeName").and_then(Value::as_str)?;
            let value = match a.get("value").filter(|v| !v.is_null()).or_else(|| a.get("rawValue")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            Some((name.to_owned(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, dated: u64) -> DateField {
        DateField { name: name.into(), with_value: dated, dated, unparseable: 0, in_attributes: true, in_annotations: false }
    }

    #[test]
    fn recording_date_is_the_default_wherever_it_is_listed() {
        assert_eq!(default_order(&[field("Effective Date", 9), field("recording date", 3)]), Some("recording date"));
        assert_eq!(default_order(&[field("Effective Date", 9), field("Filed", 3)]), Some("Effective Date"));
        assert_eq!(default_order(&[]), None);
    }

    #[test]
    fn the_earliest_date_of_several_values_counts() {
        let values = |texts: &[&str]| texts.iter().map(|t| FieldValue { text: (*t).to_owned(), from_attribute: true }).collect::<Vec<_>>();
        let (date, text) = reading(&values(&["March 3, 2001", "1999-02-01", "13/45/1998"]));
        assert_eq!(date, dates::parse("1999-02-01"));
        assert_eq!(text.as_deref(), Some("1999-02-01"));
        assert_eq!(reading(&values(&["pending", "13/45/1998"])), (DateValue::Unparseable, Some("13/45/1998".to_owned())));
        assert_eq!(reading(&values(&["pending"])), (DateValue::None, Some("pending".to_owned())));
    }

    #[test]
    fn annotations_are_read_with_their_value_or_raw_value() {
        let json = r#"{"id":1,"annotations":[{"typeName":"Recording Date","value":"1998-01-05"},{"typeName":"Filed","value":null,"rawValue":"Jan 5, 1998"},{"typeName":"Hours","value":1840},{"value":"x"}]}"#;
        assert_eq!(
            annotations(json),
            vec![("Recording Date".into(), "1998-01-05".into()), ("Filed".into(), "Jan 5, 1998".into()), ("Hours".into(), "1840".into())]
        );
        assert!(annotations("not json").is_empty());
    }
}
