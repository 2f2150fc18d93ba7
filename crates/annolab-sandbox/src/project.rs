//! The demo project: its source files and the instruments cut from them.
//!
//! Everything here is a pure function of the instrument count (or of the PDFs in a sources
//! folder), so the same project is produced on every run and every machine, and a million
//! instruments can be walked as a stream without ever being held in memory.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// Owner, name and ids of the demo project, as in the documentation's sample.
pub const DEMO_OWNER: &str = "Group Name owning project";
pub const DEMO_PROJECT: &str = "Example Project Name";
pub const DEMO_SOURCE: &str = "Test_PDF.pdf";
pub const DEMO_PROJECT_ID: u64 = 148;
pub const DEMO_GROUP_ID: u64 = 52;
const FIRST_SOURCE_ID: u64 = 1921;
const FIRST_INSTRUMENT_ID: u64 = 402_970;

/// What the project is made of: generated sources, or the real PDFs of a folder.
#[derive(Debug, Clone)]
pub enum SourceSet {
    /// `instruments` instruments spread over generated multi-page sources.
    Generated { instruments: u64 },
    /// Real PDFs, in file-name order, with their page counts; instruments partition their pages.
    Folder(Vec<FolderSource>),
}

/// A real PDF loaded by `--sources DIR`.
#[derive(Debug, Clone)]
pub struct FolderSource {
    pub path: PathBuf,
    pub name: String,
    pub pages: u32,
}

/// The project the sandbox serves.
#[derive(Debug, Clone)]
pub struct Project {
    pub owner: String,
    pub name: String,
    pub id: u64,
    pub group_id: u64,
    pub sources: SourceSet,
    /// Served instead of the demo's instrument types, in turn, and written into PDF entry names
    /// unchanged; empty for the demo's own.
    pub type_names: Vec<String>,
    /// How many weeks later than generated the project is served ([`crate::later`]).
    pub week: u32,
}

impl Project {
    pub fn demo(sources: SourceSet) -> Self {
        Project {
            owner: DEMO_OWNER.to_owned(),
            name: DEMO_PROJECT.to_owned(),
            id: DEMO_PROJECT_ID,
            group_id: DEMO_GROUP_ID,
            sources,
            type_names: Vec::new(),
            week: 0,
        }
    }

    /// The same project with these instrument types in place of the demo's (see `type_names`).
    pub fn with_type_names(mut self, type_names: Vec<String>) -> Self {
        self.type_names = type_names;
        self
    }

    /// The same project `week` weeks later (see [`crate::later`]).
    pub fn with_week(mut self, week: u32) -> Self {
        self.week = week;
        self
    }

    /// Number of instruments in the project.
    pub fn instrument_count(&self) -> u64 {
        if self.week > 0 {
            return self.sources().map(|s| s.instruments.len() as u64).sum();
        }
        match &self.sources {
            SourceSet::Generated { instruments } => *instruments,
            SourceSet::Folder(_) => self.sources().map(|s| s.instruments.len() as u64).sum(),
        }
    }

    /// Every source in order, each with its instruments laid out over its pages.
    pub fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        let mut next_instrument_id = FIRST_INSTRUMENT_ID;
        let mut remaining = match &self.sources {
            SourceSet::Generated { instruments } => *instruments,
            SourceSet::Folder(_) => u64::MAX,
        };
        let mut index = 0usize;
        std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let source = match &self.sources {
                SourceSet::Generated { .. } => Source::generated(index, next_instrument_id, remaining),
                SourceSet::Folder(files) => {
                    let file = files.get(index)?;
                    Source::from_file(index, file, next_instrument_id)
                }
            };
            let mut source = source;
            if !self.type_names.is_empty() {
                // In turn, in project order, so that every name is served once the project has as
                // many instruments as names.
                for instrument in &mut source.instruments {
                    let turn = (instrument.id - FIRST_INSTRUMENT_ID) % self.type_names.len() as u64;
                    instrument.type_name = self.type_names[turn as usize].clone();
                }
            }
            index += 1;
            next_instrument_id += source.instruments.len() as u64;
            remaining = remaining.saturating_sub(source.instruments.len() as u64);
            // After the counts above, which lay out the project as generated.
            crate::later::advance(&mut source, self.week);
            Some(source)
        })
    }

    /// Every instrument in project order, beside its source (whose own instrument list is left
    /// empty here: it travels in the iterator, not in every item).
    pub fn instruments(&self) -> impl Iterator<Item = (Arc<Source>, Instrument)> + '_ {
        self.sources().flat_map(|mut source| {
            let instruments = std::mem::take(&mut source.instruments);
            let source = Arc::new(source);
            instruments.into_iter().map(move |i| (Arc::clone(&source), i))
        })
    }
}

/// One source file of the project: a multi-page PDF holding several instruments.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: u64,
    pub name: String,
    pub pages: u32,
    /// Tags attached to the file itself; they count for the export's tag filter.
    pub tag_types: Vec<String>,
    pub aircraft: Aircraft,
    pub instruments: Vec<Instrument>,
    /// Where the bytes come from when the source is a real PDF.
    pub file: Option<PathBuf>,
}

/// The aircraft a source's records are about; its tags carry these values.
#[derive(Debug, Clone)]
pub struct Aircraft {
    pub registration: String,
    pub make: &'static str,
    pub model: &'static str,
    pub serial: String,
    pub engine_make: &'static str,
    pub engine_model: &'static str,
    pub engine_serial: String,
    pub engine_hours: u64,
}

/// The AnnoLab Instrument object, exactly as it appears in `instruments.json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    pub id: u64,
    pub source_reference_id: u64,
    pub source_name: String,
    pub start_page_number: u32,
    pub end_page_number: u32,
    pub type_name: String,
    pub canonical_tags: Vec<CanonicalTag>,
    pub annotations: Vec<Value>,
    pub reviewed_by: Option<User>,
    pub reviewed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanonicalTag {
    pub tag_type: String,
    pub type_name: String,
    pub domain_entity_id: u64,
    pub annotation_id: u64,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub name: String,
    /// Usually a string, sometimes a number, as in the real API.
    pub value: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: u64,
    pub email: String,
    pub username: String,
}

impl Instrument {
    /// Tag types that count for the tag filter: the instrument's own and its source file's.
    pub fn tag_types<'a>(&'a self, source: &'a Source) -> impl Iterator<Item = &'a str> {
        self.canonical_tags.iter().map(|t| t.type_name.as_str()).chain(source.tag_types.iter().map(String::as_str))
    }

    pub fn page_count(&self) -> u32 {
        self.end_page_number - self.start_page_number + 1
    }
}

/// The instrument types of aviation title work, with the tags each usually carries.
/// One name holds a slash on purpose: real type names do, and export file names must survive it.
const TYPES: &[(&str, &[&str])] = &[
    ("Bill of Sale", &["Airframe Inventory"]),
    ("Security Agreement", &["Airframe Inventory", "Engine Inventory"]),
    ("Lease", &["Airframe Inventory"]),
    ("Aircraft Registration Application", &["Airframe Inventory"]),
    ("Release", &[]),
    ("Amendment", &["Engine Inventory"]),
    ("Assignment / Assumption", &["Engine Inventory"]),
    ("Warranty Bill of Sale", &["Airframe Inventory", "Engine Inventory"]),
];

const AIRFRAMES: &[(&str, &str, &str)] = &[
    ("Beech", "C24R", "MC-"),
    ("Cessna", "172S", "172S"),
    ("Piper", "PA-28-181", "28-"),
    ("Cirrus", "SR22", ""),
    ("Mooney", "M20J", "24-"),
    ("Beech", "B200", "BB-"),
];

const ENGINES: &[(&str, &str)] = &[("Lycoming", "IO-360-A1B6"), ("Continental", "IO-550-N"), ("Lycoming", "O-360-A4M"), ("Pratt & Whitney Canada", "PT6A-42")];

const REVIEWERS: &[(u64, &str)] = &[(77, "dana.reviewer"), (81, "sam.examiner"), (90, "lee.titles")];

const PARTIES: &[&str] =
    &["Skyline Aviation LLC", "Blue Ridge Aircraft Leasing Inc.", "First Aviation Credit Union", "Prairie Flight Services", "Harbor Air Charter Co."];

impl Source {
    /// The `index`-th generated source, its instruments numbered from `first_id`, at most `cap`.
    fn generated(index: usize, first_id: u64, cap: u64) -> Self {
        let k = index as u64;
        let aircraft = Aircraft::generated(k);
        let (name, layout) = if index == 0 {
            // The documentation's own file: a fixed, hand-written layout so its sample exports
            // something meaningful (Airframe Inventory instruments with PDFs).
            (DEMO_SOURCE.to_owned(), vec![(0usize, 2u32), (4, 1), (1, 4), (0, 3), (6, 1)])
        } else {
            let count = 3 + mix(k, 1) % 4;
            let layout = (0..count).map(|j| ((mix(k, 10 + j) % TYPES.len() as u64) as usize, 1 + (mix(k, 20 + j) % 4) as u32)).collect();
            (format!("{}_Aircraft_Records_{:05}.pdf", aircraft.registration, k), layout)
        };
        let layout: Vec<_> = layout.into_iter().take(cap.min(usize::MAX as u64) as usize).collect();
        let tag_types = source_tags(k);
        let mut source = Source {
            id: FIRST_SOURCE_ID + k,
            name,
            pages: layout.iter().map(|(_, pages)| pages).sum(),
            tag_types,
            aircraft,
            instruments: Vec::new(),
            file: None,
        };
        source.lay_out(first_id, &layout);
        source
    }

    /// A real PDF from `--sources`: its pages cut into instruments of one to four pages.
    fn from_file(index: usize, file: &FolderSource, first_id: u64) -> Self {
        let k = index as u64;
        let mut layout = Vec::new();
        let mut page = 0u32;
        let mut j = 0u64;
        while page < file.pages {
            let len = (1 + (mix(k, 20 + j) % 4) as u32).min(file.pages - page);
            layout.push(((mix(k, 10 + j) % TYPES.len() as u64) as usize, len));
            page += len;
            j += 1;
        }
        let mut source = Source {
            id: FIRST_SOURCE_ID + k,
            name: file.name.clone(),
            pages: file.pages,
            tag_types: source_tags(k),
            aircraft: Aircraft::generated(k),
            instruments: Vec::new(),
            file: Some(file.path.clone()),
        };
        source.lay_out(first_id, &layout);
        source
    }

    fn lay_out(&mut self, first_id: u64, layout: &[(usize, u32)]) {
        let mut start = 1u32;
        for (j, &(type_index, pages)) in layout.iter().enumerate() {
            let id = first_id + j as u64;
            let (type_name, tags) = TYPES[type_index];
            let instrument = Instrument {
                id,
                source_reference_id: self.id,
                source_name: self.name.clone(),
                start_page_number: start,
                end_page_number: start + pages - 1,
                type_name: type_name.to_owned(),
                canonical_tags: tags.iter().map(|tag| self.aircraft.tag(tag, id)).collect(),
                annotations: annotations(self, id, start, type_name),
                reviewed_by: reviewer(id),
                reviewed_at: reviewer(id).map(|_| review_time(id)),
            };
            self.instruments.push(instrument);
            start += pages;
        }
    }

    /// The instrument covering a 1-based page, if any.
    pub fn instrument_at(&self, page: u32) -> Option<&Instrument> {
        self.instruments.iter().find(|i| (i.start_page_number..=i.end_page_number).contains(&page))
    }
}

/// File-level tags: every fifth file is a propeller logbook, and some files are privileged
/// correspondence, so the filter's "source tags count" and "exclude wins" rules have data to bite on.
fn source_tags(k: u64) -> Vec<String> {
    let mut tags = Vec::new();
    if k % 5 == 1 {
        tags.push("Propeller Inventory".to_owned());
    }
    if k % 7 == 3 {
        tags.push("Privileged".to_owned());
    }
    tags
}

impl Aircraft {
    fn generated(k: u64) -> Self {
        let (make, model, serial_prefix) = AIRFRAMES[(mix(k, 2) % AIRFRAMES.len() as u64) as usize];
        let (engine_make, engine_model) = ENGINES[(mix(k, 3) % ENGINES.len() as u64) as usize];
        let letters = |n: u64| -> String {
            let a = (b'A' + (n % 26) as u8) as char;
            let b = (b'A' + (n / 26 % 26) as u8) as char;
            format!("{a}{b}")
        };
        if k == 0 {
            // The documented example aircraft.
            return Aircraft {
                registration: "N453MC".to_owned(),
                make: "Beech",
                model: "C24R",
                serial: "MC-453".to_owned(),
                engine_make: "Lycoming",
                engine_model: "IO-360-A1B6",
                engine_serial: "L-24512-51A".to_owned(),
                engine_hours: 1840,
            };
        }
        Aircraft {
            registration: format!("N{}{}", 100 + mix(k, 4) % 900, letters(mix(k, 5))),
            make,
            model,
            serial: format!("{serial_prefix}{}", 100 + mix(k, 6) % 9900),
            engine_make,
            engine_model,
            engine_serial: format!("L-{}-{}A", 10_000 + mix(k, 7) % 90_000, 10 + mix(k, 8) % 90),
            engine_hours: 50 + mix(k, 9) % 6000,
        }
    }

    fn tag(&self, type_name: &str, instrument_id: u64) -> CanonicalTag {
        let text = |v: &str| Value::String(v.to_owned());
        let attributes = match type_name {
            "Engine Inventory" => vec![
                ("Make", text(self.engine_make)),
                ("Model", text(self.engine_model)),
                ("Serial Number", text(&self.engine_serial)),
                // Numeric on purpose: the real API mixes strings and numbers in `value`.
                ("Total Time", Value::from(self.engine_hours)),
            ],
            _ => vec![("Make", text(self.make)), ("Model", text(self.model)), ("Serial Number", text(&self.serial))],
        };
        CanonicalTag {
            tag_type: "Instrument".to_owned(),
            type_name: type_name.to_owned(),
            domain_entity_id: if type_name == "Engine Inventory" { 41 } else { 39 },
            annotation_id: instrument_id,
            attributes: attributes.into_iter().map(|(name, value)| Attribute { name: name.to_owned(), value }).collect(),
        }
    }
}

fn annotations(source: &Source, id: u64, page: u32, type_name: &str) -> Vec<Value> {
    let base = id * 10;
    let party = PARTIES[(mix(id, 30) % PARTIES.len() as u64) as usize];
    let date = format!("{}-{:02}-{:02}", 1998 + mix(id, 31) % 27, 1 + mix(id, 32) % 12, 1 + mix(id, 33) % 28);
    let mut list = vec![
        serde_json::json!({
            "id": base + 1, "typeName": "Registration Number", "value": source.aircraft.registration,
            "rawValue": source.aircraft.registration.replacen('N', "N ", 1), "pageNumber": page,
            "endPageNumber": page, "offsets": {"start": 112, "end": 118}, "layerName": "GOLD",
            "sourceId": source.id,
        }),
        serde_json::json!({
            "id": base + 2, "typeName": "Effective Date", "value": date, "rawValue": date,
            "pageNumber": page, "endPageNumber": page, "offsets": {"start": 240, "end": 250},
            "layerName": "GOLD", "sourceId": source.id,
        }),
    ];
    if type_name != "Release" {
        list.push(serde_json::json!({
            "annotationId": base + 3, "typeName": "Party", "value": party, "rawValue": party.to_uppercase(),
            "pageNumber": page, "layerName": "GOLD", "sourceId": source.id,
        }));
    }
    list
}

fn reviewer(id: u64) -> Option<User> {
    if mix(id, 40).is_multiple_of(3) {
        return None;
    }
    let (uid, username) = REVIEWERS[(mix(id, 41) % REVIEWERS.len() as u64) as usize];
    Some(User { id: uid, email: format!("{username}@annolab.example"), username: username.to_owned() })
}

fn review_time(id: u64) -> String {
    format!("2024-{:02}-{:02}T{:02}:{:02}:{:02}Z", 1 + mix(id, 42) % 12, 1 + mix(id, 43) % 28, mix(id, 44) % 24, mix(id, 45) % 60, mix(id, 46) % 60)
}

/// splitmix64 of a pair: a cheap, stable hash so the project is the same everywhere.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(b).wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_project_holds_exactly_the_requested_instruments() {
        for n in [0, 1, 4, 5, 6, 57, 1000] {
            let project = Project::demo(SourceSet::Generated { instruments: n });
            assert_eq!(project.instruments().count() as u64, n, "n = {n}");
            assert_eq!(project.instrument_count(), n);
        }
    }

    #[test]
    fn instruments_tile_their_source_pages_and_ids_are_unique() {
        let project = Project::demo(SourceSet::Generated { instruments: 500 });
        let mut ids = std::collections::HashSet::new();
        for source in project.sources() {
            let mut next = 1;
            for i in &source.instruments {
                assert_eq!(i.start_page_number, next);
                assert!(i.end_page_number >= i.start_page_number);
                next = i.end_page_number + 1;
                assert!(ids.insert(i.id));
            }
            assert_eq!(next - 1, source.pages);
        }
    }

    #[test]
    fn the_first_source_is_the_documented_test_pdf_with_airframe_inventory() {
        let project = Project::demo(SourceSet::Generated { instruments: 50 });
        let first = project.sources().next().unwrap();
        assert_eq!(first.name, "Test_PDF.pdf");
        assert!(first.instruments.iter().any(|i| i.canonical_tags.iter().any(|t| t.type_name == "Airframe Inventory")));
        assert_eq!(first.instruments[0].id, 402_970);
    }

    #[test]
    fn generation_is_deterministic() {
        let a: Vec<String> = Project::demo(SourceSet::Generated { instruments: 200 }).instruments().map(|(_, i)| serde_json::to_string(&i).unwrap()).collect();
        let b: Vec<String> = Project::demo(SourceSet::Generated { instruments: 200 }).instruments().map(|(_, i)| serde_json::to_string(&i).unwrap()).collect();
        assert_eq!(a, b);
    }
}
