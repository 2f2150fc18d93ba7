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
    // Tagged like the documents it releases, so it shows in the aircraft's chain of title; the
    // plain "Release" above keeps no tags (the documentation's sample counts on it).
    ("Lien Release", &["Airframe Inventory"]),
];

/// One aircraft's chain of title, in recording order (indexes into [`TYPES`]): bought, registered,
/// financed, leased out, the lien released, sold on with warranty. A generated source holds the
/// first three to six, bound into the file in another order, as records are.
const CHAIN: &[usize] = &[0, 3, 1, 2, 8, 7];

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
        let (name, layout, ranks) = if index == 0 {
            // The documentation's own file: a fixed, hand-written layout so its sample exports
            // something meaningful (Airframe Inventory instruments with PDFs). Recorded: bought,
            // financed, the lien released, sold on, the engine's assignment.
            (DEMO_SOURCE.to_owned(), vec![(0usize, 2u32), (4, 1), (1, 4), (0, 3), (6, 1)], vec![0u32, 2, 1, 3, 4])
        } else {
            let count = 3 + mix(k, 1) % 4;
            let mut chain: Vec<(usize, u32, u32)> = (0..count).map(|j| (CHAIN[j as usize], 1 + (mix(k, 20 + j) % 4) as u32, j as u32)).collect();
            if mix(k, 16).is_multiple_of(7) {
                // The bill of sale recorded twice, on the same day: a possible duplicate.
                chain.push((CHAIN[0], chain[0].1, 0));
            }
            // Bound in another order than recorded: turned by a few places, sometimes reversed.
            let turn = (mix(k, 11) % chain.len() as u64) as usize;
            chain.rotate_left(turn);
            if mix(k, 12).is_multiple_of(2) {
                chain.reverse();
            }
            let (layout, ranks) = chain.into_iter().map(|(t, pages, rank)| ((t, pages), rank)).unzip();
            (format!("{}_Aircraft_Records_{:05}.pdf", aircraft.registration, k), layout, ranks)
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
        source.lay_out(first_id, &layout, &recording_days(k, &ranks));
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
        // Recorded in the order they are bound.
        let ranks: Vec<u32> = (0..layout.len() as u32).collect();
        source.lay_out(first_id, &layout, &recording_days(k, &ranks));
        source
    }

    /// Cuts the source's pages into instruments; `recorded[j]` is the day (since 1970) the `j`-th
    /// was recorded.
    fn lay_out(&mut self, first_id: u64, layout: &[(usize, u32)], recorded: &[i64]) {
        let mut start = 1u32;
        for (j, &(type_index, pages)) in layout.iter().enumerate() {
            let id = first_id + j as u64;
            let (type_name, tags) = TYPES[type_index];
            let recording = recorded.get(j).and_then(|&day| RecordingDate::of(id, day));
            let instrument = Instrument {
                id,
                source_reference_id: self.id,
                source_name: self.name.clone(),
                start_page_number: start,
                end_page_number: start + pages - 1,
                type_name: type_name.to_owned(),
                canonical_tags: tags.iter().map(|tag| self.aircraft.tag(tag, id, recording.as_ref())).collect(),
                annotations: annotations(self, id, start, type_name, recording.as_ref()),
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

    fn tag(&self, type_name: &str, instrument_id: u64, recording: Option<&RecordingDate>) -> CanonicalTag {
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
        let attributes = attributes.into_iter().chain(recording.map(|r| ("Recording Date", text(&r.printed))));
        CanonicalTag {
            tag_type: "Instrument".to_owned(),
            type_name: type_name.to_owned(),
            domain_entity_id: if type_name == "Engine Inventory" { 41 } else { 39 },
            annotation_id: instrument_id,
            attributes: attributes.into_iter().map(|(name, value)| Attribute { name: name.to_owned(), value }).collect(),
        }
    }
}

fn annotations(source: &Source, id: u64, page: u32, type_name: &str, recording: Option<&RecordingDate>) -> Vec<Value> {
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
    if let Some(recording) = recording {
        list.push(serde_json::json!({
            "id": base + 4, "typeName": "Recording Date", "value": recording.value, "rawValue": recording.printed,
            "pageNumber": page, "endPageNumber": page, "offsets": {"start": 40, "end": 40 + recording.printed.len()},
            "layerName": "GOLD", "sourceId": source.id,
        }));
    }
    list
}

/// When the registry recorded an instrument, as its stamp reads (`printed`, which the tags carry
/// too) and as the annotation normalises it (`value`, ISO). About one instrument in nineteen has
/// no stamp, and one in twenty-nine a stamp misread into no day (`04/37/2003`), which stays as
/// read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingDate {
    pub value: String,
    pub printed: String,
}

impl RecordingDate {
    fn of(id: u64, day: i64) -> Option<Self> {
        if mix(id, 50).is_multiple_of(19) {
            return None;
        }
        let (year, month, day) = civil(day);
        if mix(id, 51).is_multiple_of(29) {
            let misread = format!("{month:02}/{}/{year}", 32 + mix(id, 53) % 8);
            return Some(RecordingDate { value: misread.clone(), printed: misread });
        }
        const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        let name = MONTHS[month as usize - 1];
        let printed = match mix(id, 52) % 3 {
            0 => format!("{name} {day}, {year}"),
            1 => format!("{month}/{day}/{year}"),
            _ => format!("{day:02} {} {year}", name[..3].to_uppercase()),
        };
        Some(RecordingDate { value: format!("{year:04}-{month:02}-{day:02}"), printed })
    }
}

/// The day (since 1970-01-01) each instrument of source `k` was recorded, from its rank in the
/// chain: the first in the 1985-2017 range (the documentation's file on 1998-01-05), each
/// next rank 20 days to about two years later; equal ranks on the same day.
fn recording_days(k: u64, ranks: &[u32]) -> Vec<i64> {
    // 10,231 days after 1970-01-01 is 1998-01-05; 5,479 is 1985-01-01.
    let first = if k == 0 { 10_231 } else { 5_479 + (mix(k, 13) % (33 * 365)) as i64 };
    let top = ranks.iter().copied().max().unwrap_or(0);
    let mut at = vec![first];
    for rank in 1..=top {
        let before = at[rank as usize - 1];
        at.push(before + 20 + (mix(k, 60 + u64::from(rank)) % 700) as i64);
    }
    ranks.iter().map(|&rank| at[rank as usize]).collect()
}

/// (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
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
    fn days_count_from_1970() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(10_231), (1998, 1, 5));
        assert_eq!(civil(5_479), (1985, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_454), (2026, 1, 1));
    }

    fn recording_date(instrument: &Instrument) -> Option<String> {
        instrument.annotations.iter().find(|a| a["typeName"] == "Recording Date").map(|a| a["value"].as_str().unwrap().to_owned())
    }

    #[test]
    fn each_aircraft_has_a_chain_recorded_in_order_bound_in_another() {
        let project = Project::demo(SourceSet::Generated { instruments: 240 });
        let mut reordered = 0;
        let mut undated = 0;
        let mut misread = 0;
        for source in project.sources().skip(1) {
            let serial = &source.aircraft.serial;
            // Every instrument of a generated source is in its aircraft's chain.
            for i in &source.instruments {
                let tag = i.canonical_tags.iter().find(|t| t.type_name == "Airframe Inventory").expect("an airframe tag");
                assert!(tag.attributes.iter().any(|a| a.name == "Serial Number" && a.value == serial.as_str()));
            }
            let mut chain: Vec<(String, &str)> = source.instruments.iter().filter_map(|i| Some((recording_date(i)?, i.type_name.as_str()))).collect();
            undated += source.instruments.len() - chain.len();
            misread += chain.iter().filter(|(d, _)| d.contains('/')).count();
            chain.retain(|(d, _)| !d.contains('/'));
            if chain.windows(2).any(|w| w[0].0 > w[1].0) {
                reordered += 1;
            }
            chain.sort();
            let order: Vec<usize> = chain.iter().map(|(_, t)| CHAIN.iter().position(|&c| TYPES[c].0 == *t).unwrap()).collect();
            assert!(order.windows(2).all(|w| w[0] <= w[1]), "{serial}: {chain:?}");
        }
        assert!(reordered > 10, "{reordered} sources bound out of order");
        assert!(undated > 0 && misread > 0, "undated {undated}, misread {misread}");
    }

    #[test]
    fn the_documented_file_was_recorded_from_1998_on() {
        let project = Project::demo(SourceSet::Generated { instruments: 5 });
        let first = project.sources().next().unwrap();
        let dates: Vec<Option<String>> = first.instruments.iter().map(recording_date).collect();
        assert_eq!(dates[0].as_deref(), Some("1998-01-05"), "{dates:?}");
    }

    #[test]
    fn generation_is_deterministic() {
        let a: Vec<String> = Project::demo(SourceSet::Generated { instruments: 200 }).instruments().map(|(_, i)| serde_json::to_string(&i).unwrap()).collect();
        let b: Vec<String> = Project::demo(SourceSet::Generated { instruments: 200 }).instruments().map(|(_, i)| serde_json::to_string(&i).unwrap()).collect();
        assert_eq!(a, b);
    }
}
