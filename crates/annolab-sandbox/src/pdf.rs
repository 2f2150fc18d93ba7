//! Source PDFs and the instrument PDFs cut from them.
//!
//! A generated source is a real multi-page PDF whose pages say which file, page and instrument
//! they belong to, so a viewer shows something meaningful. Instrument PDFs are cut from the
//! source by deleting every page outside the instrument's range, as a real splitter does.

use std::path::Path;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

use crate::project::{Source, mix};

const PAGE_WIDTH: i64 = 612;
const PAGE_HEIGHT: i64 = 792;

/// Builds the PDF of a generated source. `scan_bytes` adds a grey-noise image of about that many
/// bytes to every page, standing in for the weight of a scanned page.
pub fn source_document(source: &Source, scan_bytes: usize) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let mut kids = Vec::with_capacity(source.pages as usize);
    for page in 1..=source.pages {
        let mut xobjects = Dictionary::new();
        let mut operations = page_text(source, page);
        if scan_bytes > 0 {
            let image = doc.add_object(scan_image(source.id, page, scan_bytes));
            xobjects.set("Scan", image);
            operations.extend([
                Operation::new("q", vec![]),
                Operation::new("cm", vec![96.into(), 0.into(), 0.into(), 36.into(), 480.into(), 30.into()]),
                Operation::new("Do", vec!["Scan".into()]),
                Operation::new("Q", vec![]),
            ]);
        }
        // Invariant: every operand above is a plain number, name or string, which always encodes.
        let content = Content { operations }.encode().unwrap_or_default();
        let contents = doc.add_object(Stream::new(Dictionary::new(), content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH.into(), PAGE_HEIGHT.into()],
            "Contents" => contents,
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => regular, "F2" => bold },
                "XObject" => xobjects,
            },
        });
        kids.push(Object::from(page_id));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => i64::from(source.pages),
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal(source.name.as_str()),
        "Producer" => Object::string_literal("annolab-sandbox"),
    });
    doc.trailer.set("Info", info);
    doc
}

/// Loads a real source PDF given with `--sources`.
pub fn load(path: &Path) -> Result<Document, lopdf::Error> {
    Document::load(path)
}

/// Page count of a PDF, for checking what a cut produced.
pub fn page_count(bytes: &[u8]) -> Result<usize, lopdf::Error> {
    Ok(Document::load_mem(bytes)?.get_pages().len())
}

/// Cuts pages `start..=end` (1-based) out of `source` into a PDF of their own.
pub fn cut(source: &Document, start: u32, end: u32) -> Result<Vec<u8>, lopdf::Error> {
    let mut doc = source.clone();
    let total = doc.get_pages().len() as u32;
    let outside: Vec<u32> = (1..=total).filter(|p| *p < start || *p > end).collect();
    doc.delete_pages(&outside);
    doc.prune_objects();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)?;
    Ok(bytes)
}

fn font(base: &str) -> Dictionary {
    dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => base, "Encoding" => "WinAnsiEncoding" }
}

fn page_text(source: &Source, page: u32) -> Vec<Operation> {
    let mut ops = Vec::new();
    let mut text = |font: &str, size: i64, x: i64, y: i64, line: &str| {
        ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec![font.into(), size.into()]),
            Operation::new("Td", vec![x.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(ascii(line))]),
            Operation::new("ET", vec![]),
        ]);
    };
    text("F1", 9, 54, 760, &source.name);
    text("F1", 9, 470, 760, &format!("Page {page} of {}", source.pages));
    let aircraft = &source.aircraft;
    match source.instrument_at(page) {
        Some(instrument) => {
            let part = page - instrument.start_page_number + 1;
            text("F2", 22, 54, 700, &instrument.type_name.to_uppercase());
            text("F1", 11, 54, 676, &format!("Instrument {} - page {part} of {}", instrument.id, instrument.page_count()));
            text("F1", 11, 54, 640, &format!("Registration: {}", aircraft.registration));
            text("F1", 11, 54, 622, &format!("Aircraft: {} {}, Serial Number {}", aircraft.make, aircraft.model, aircraft.serial));
            text("F1", 11, 54, 604, &format!("Engine: {} {}, Serial Number {}", aircraft.engine_make, aircraft.engine_model, aircraft.engine_serial));
            for (i, line) in BODY.iter().enumerate() {
                let line = line.replace("{type}", &instrument.type_name.to_lowercase());
                text("F1", 10, 54, 560 - 16 * i as i64, &line);
            }
        }
        None => text("F2", 22, 54, 700, "BLANK PAGE"),
    }
    text("F1", 8, 54, 40, "Generated by annolab-sandbox: a demo record, not a legal document.");
    ops.extend([Operation::new("w", vec![1.into()]), Operation::new("re", vec![40.into(), 28.into(), 532.into(), 748.into()]), Operation::new("S", vec![])]);
    ops
}

const BODY: &[&str] = &[
    "KNOW ALL PERSONS BY THESE PRESENTS that the undersigned, the owner of the full legal",
    "and beneficial title to the aircraft described above, does hereby execute this {type}",
    "in favour of the party named herein, together with all equipment, logbooks and records",
    "pertaining to the airframe and engines, free of all liens and encumbrances except as",
    "stated in the schedule attached hereto.",
    "",
    "IN TESTIMONY WHEREOF the undersigned has set its hand on the effective date recorded.",
];

/// The standard fonts here are WinAnsi-encoded; anything outside ASCII becomes '?'.
fn ascii(line: &str) -> String {
    line.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}

fn scan_image(source_id: u64, page: u32, bytes: usize) -> Stream {
    let width = 256usize;
    let height = bytes.div_ceil(width).max(1);
    let seed = mix(source_id, u64::from(page));
    let mut pixels = Vec::with_capacity(width * height);
    let mut i = 0u64;
    while pixels.len() < width * height {
        // Light grey noise, like paper texture on a scan.
        pixels.extend(mix(seed, i).to_le_bytes().map(|b| 200 + b % 56));
        i += 1;
    }
    pixels.truncate(width * height);
    let mut stream = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => width as i64, "Height" => height as i64,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        pixels,
    );
    stream.allows_compression = false;
    stream
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Project, SourceSet};

    #[test]
    fn a_cut_has_exactly_the_instruments_pages() {
        let project = Project::demo(SourceSet::Generated { instruments: 40 });
        for source in project.sources().take(4) {
            let doc = source_document(&source, 0);
            assert_eq!(doc.get_pages().len() as u32, source.pages);
            for instrument in &source.instruments {
                let bytes = cut(&doc, instrument.start_page_number, instrument.end_page_number).unwrap();
                assert_eq!(page_count(&bytes).unwrap() as u32, instrument.page_count(), "{}", instrument.id);
            }
        }
    }

    #[test]
    fn a_cut_keeps_the_pages_own_text() {
        let project = Project::demo(SourceSet::Generated { instruments: 5 });
        let source = project.sources().next().unwrap();
        let doc = source_document(&source, 0);
        let instrument = &source.instruments[2];
        let bytes = cut(&doc, instrument.start_page_number, instrument.end_page_number).unwrap();
        let cut_doc = Document::load_mem(&bytes).unwrap();
        let text = cut_doc.extract_text(&[1]).unwrap();
        assert!(text.contains(&format!("Page {} of {}", instrument.start_page_number, source.pages)), "{text}");
        assert!(text.contains(&instrument.id.to_string()), "{text}");
    }

    #[test]
    fn scan_weight_makes_pages_heavier() {
        let project = Project::demo(SourceSet::Generated { instruments: 1 });
        let source = project.sources().next().unwrap();
        let mut light = Vec::new();
        source_document(&source, 0).save_to(&mut light).unwrap();
        let mut heavy = Vec::new();
        source_document(&source, 16 * 1024).save_to(&mut heavy).unwrap();
        let added = heavy.len() - light.len();
        assert!(added >= 16 * 1024 * source.pages as usize, "added {added}");
    }
}
