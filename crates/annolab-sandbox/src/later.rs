//! The demo project some weeks later: what AnnoLab's annotators would have done to it, so that
//! exporting it again shows a diff without an account (`--week N`).
//!
//! A step applied to each source after the project generates it, and a pure function of the
//! instrument ids and the week, so week N is the same on every run and every machine, and
//! streams like the rest of the project. Each week, of each instrument: about 2 in 100 are
//! removed, 2 retyped, 2 get a corrected serial number, 2 are reviewed (again), and 2 of those of
//! two pages or more are split in two (the first keeps its id and a shorter page range, the
//! second is new). Week N is weeks 1 to N applied in turn.

use serde_json::Value;

use crate::project::{Source, User, mix};

/// How far the demo can be moved on: a year.
pub const MAX_WEEKS: u32 = 52;

/// Ids of instruments split off later are above every generated id (at most about 1.4 million).
const SPLIT_IDS: u64 = 1_000_000_000;

/// What a retyped instrument becomes (the next one from its own type).
const RETYPES: &[&str] = &["Bill of Sale", "Lease", "Release", "Amendment", "Security Agreement"];

/// Moves `source` on by `weeks` weeks.
pub fn advance(source: &mut Source, weeks: u32) {
    for week in 1..=weeks.min(MAX_WEEKS) {
        one_week(source, u64::from(week));
    }
}

fn one_week(source: &mut Source, week: u64) {
    let mut kept = Vec::with_capacity(source.instruments.len() + 1);
    for mut instrument in std::mem::take(&mut source.instruments) {
        let mut split = None;
        match mix(instrument.id, 1000 + week) % 100 {
            0 | 1 => continue,
            2 | 3 => {
                let at = RETYPES.iter().position(|t| *t == instrument.type_name).map_or(0, |i| i + 1);
                instrument.type_name = RETYPES[at % RETYPES.len()].to_owned();
            }
            4 | 5 => {
                let serial = instrument.canonical_tags.iter_mut().flat_map(|t| t.attributes.iter_mut()).find(|a| a.name == "Serial Number");
                if let Some(attribute) = serial {
                    let text = attribute.value.as_str().map_or_else(|| attribute.value.to_string(), str::to_owned);
                    attribute.value = Value::String(format!("{text}-C{week}"));
                }
            }
            6 | 7 => {
                instrument.reviewed_by = Some(User { id: 90, email: "lee.titles@annolab.example".to_owned(), username: "lee.titles".to_owned() });
                instrument.reviewed_at = Some(format!("2027-{:02}-{:02}T09:00:00Z", 1 + (week - 1) / 4 % 12, 1 + (week - 1) % 4 * 7));
            }
            8 | 9 if instrument.page_count() >= 2 && instrument.id < SPLIT_IDS => {
                let mut second = instrument.clone();
                instrument.end_page_number = instrument.start_page_number + instrument.page_count() / 2 - 1;
                second.id = SPLIT_IDS + instrument.id * 64 + week;
                second.start_page_number = instrument.end_page_number + 1;
                for tag in &mut second.canonical_tags {
                    tag.annotation_id = second.id;
                }
                split = Some(second);
            }
            _ => {}
        }
        kept.push(instrument);
        kept.extend(split);
    }
    source.instruments = kept;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::project::{Project, SourceSet};

    fn by_id(week: u32) -> BTreeMap<u64, serde_json::Value> {
        let project = Project::demo(SourceSet::Generated { instruments: 2000 }).with_week(week);
        project.instruments().map(|(_, i)| (i.id, serde_json::to_value(&i).unwrap())).collect()
    }

    #[test]
    fn a_week_adds_edits_and_removes_and_keeps_pages_inside_their_sources() {
        let (before, after) = (by_id(0), by_id(1));
        let added = after.keys().filter(|id| !before.contains_key(id)).count();
        let removed = before.keys().filter(|id| !after.contains_key(id)).count();
        let changed = |key: &str| before.iter().filter(|(id, i)| after.get(id).is_some_and(|a| a[key] != i[key])).count();
        assert!(added > 10 && removed > 10, "added {added}, removed {removed}");
        for key in ["typeName", "canonicalTags", "reviewedAt", "endPageNumber"] {
            assert!(changed(key) > 10, "{key}: {}", changed(key));
        }
        assert_eq!(by_id(1), after, "deterministic");
        for source in Project::demo(SourceSet::Generated { instruments: 2000 }).with_week(3).sources() {
            for i in &source.instruments {
                assert!(i.start_page_number <= i.end_page_number && i.end_page_number <= source.pages, "{}", i.id);
            }
        }
    }
}
