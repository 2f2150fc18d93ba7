//! The title package: one PDF of a group's instruments in timeline order, as a title examiner
//! hands it over. A cover (one page or more) says what it is (project, the attribute and value,
//! when it was made, the order), lists the problems (missing or unreadable PDFs, undated
//! instruments, possible duplicates) and has a table of contents: each instrument's page in the
//! package, date, type, page count, id and source file. Then every instrument's pages; one
//! outline entry (bookmark) an instrument, `<date> <type> #<id>`, pointing at its first page.
//!
//! Memory: the package is written as it is read ([`crate::browse::Binder`]), one instrument's
//! PDF at a time; lopdf loads each of those whole, so the peak is the largest instrument PDF
//! plus a few numbers per object, not the package. The cover is laid out last (its page count
//! is known by then, and problems found while reading are on it), though it comes first in the
//! page order: where objects sit in the file does not matter to a PDF.

use std::path::{Path, PathBuf};

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use serde::Serialize;

use crate::browse::{Binder, Browser};
use crate::error::EngineError;
use crate::names;
use crate::timeline::{Dating, Timeline, TimelineEntry};

/// A title package written to disk.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// The PDF's absolute path.
    pub path: String,
    /// Pages in all, the cover's included.
    pub pages: u32,
    pub cover_pages: u32,
    /// Every instrument of the timeline, in package order, included or not.
    pub instruments: Vec<PackagedInstrument>,
    /// What the cover lists as problems, in words.
    pub problems: Vec<String>,
    /// The field the instruments are ordered by, none for id order.
    pub order_by: Option<String>,
}

/// One instrument's place in a package.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagedInstrument {
    pub id: u64,
    /// Its first page in the package (1-based), none when its PDF is missing or unreadable.
    pub first_page: Option<u32>,
    pub pages: u32,
    /// Its outline entry's title.
    pub title: String,
}

impl Package {
    /// The ids of the instruments whose pages are in the package, in order.
    pub fn included_ids(&self) -> Vec<u64> {
        self.instruments.iter().filter(|i| i.first_page.is_some()).map(|i| i.id).collect()
    }
}

/// A file name for the package of `timeline`'s group, e.g. `Serial Number MC-453.pdf`, legal
/// on every disk (the [`names`] rules).
pub fn file_name(timeline: &Timeline) -> String {
    names::file_name(&format!("{}.pdf", group_label(timeline).replace(": ", " ")), names::MAX_NAME_CHARS)
}

impl Browser {
    /// Writes the title package of `timeline` into the export's `saved/` folder.
    pub fn save_package(&self, timeline: &Timeline) -> Result<Package, EngineError> {
        let stem = names::file_name(&format!("title-package {}", group_label(timeline).replace(": ", " ")), 80);
        let out = self.saved_path(&stem, "pdf")?;
        self.write_package(timeline, &out)
    }

    /// Writes the title package of `timeline` at `out` (replacing a file there, which is only
    /// touched once the package is whole).
    pub fn write_package(&self, timeline: &Timeline, out: &Path) -> Result<Package, EngineError> {
        let project = match crate::manifest::Manifest::read(self.dir()) {
            Ok(m) => format!("{} (owned by {})", m.request.project, m.request.owner),
            Err(_) => self.dir().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        let made = time::OffsetDateTime::now_utc();
        let mut problems = timeline_problems(timeline);
        let package = Binder::write_to(out, |binder| {
            let mut body: Vec<ObjectId> = Vec::new();
            // Per entry: the first page's index in `body` and the page count, when included.
            let mut placed: Vec<Option<(usize, u32)>> = Vec::with_capacity(timeline.entries.len());
            for entry in &timeline.entries {
                let label = entry_label(entry);
                let path = match self.pdf_paths(&[entry.id]) {
                    Ok(paths) => paths.into_iter().next(),
                    Err(EngineError::NoPdf { .. }) => None,
                    Err(other) => return Err(other),
                };
                let Some(path) = path else {
                    problems.push(format!("{label}: no PDF in this export; listed here, not included."));
                    placed.push(None);
                    continue;
                };
                let document = match Document::load(&path) {
                    Ok(document) => document,
                    Err(e) => {
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        problems.push(format!("{label}: its PDF {name} could not be read ({e}); not included."));
                        placed.push(None);
                        continue;
                    }
                };
                let pages = binder.append(document)?;
                if pages.is_empty() {
                    problems.push(format!("{label}: its PDF has no pages; not included."));
                    placed.push(None);
                    continue;
                }
                placed.push(Some((body.len(), pages.len() as u32)));
                body.extend(pages);
            }

            let cover = Cover { timeline, project: &project, made, problems: &problems, placed: &placed, body_pages: body.len() as u32 };
            let cover_pages = cover.write(binder)?;
            let offset = cover_pages.len() as u32;
            let instruments: Vec<PackagedInstrument> = timeline
                .entries
                .iter()
                .zip(&placed)
                .map(|(entry, place)| PackagedInstrument {
                    id: entry.id,
                    first_page: place.map(|(at, _)| offset + at as u32 + 1),
                    pages: place.map_or(0, |(_, n)| n),
                    title: outline_title(entry),
                })
                .collect();

            // One outline entry an instrument, at its first page; one without pages points at the
            // cover, where it is listed as a problem.
            let outline_root = binder.reserve();
            let items: Vec<ObjectId> = instruments.iter().map(|_| binder.reserve()).collect();
            for (k, (instrument, place)) in instruments.iter().zip(&placed).enumerate() {
                let (page, title) = match place {
                    Some((at, _)) => (body[*at], instrument.title.clone()),
                    None => (cover_pages[0], format!("{} (no PDF: see the cover)", instrument.title)),
                };
                let mut item = dictionary! {
                    "Title" => lopdf::text_string(&title),
                    "Parent" => outline_root,
                    "Dest" => vec![Object::Reference(page), "Fit".into()],
                };
                if k > 0 {
                    item.set("Prev", items[k - 1]);
                }
                if k + 1 < items.len() {
                    item.set("Next", items[k + 1]);
                }
                binder.write(items[k], &Object::Dictionary(item))?;
            }
            let mut root = dictionary! { "Type" => "Outlines", "Count" => items.len() as i64 };
            if let (Some(first), Some(last)) = (items.first(), items.last()) {
                root.set("First", *first);
                root.set("Last", *last);
            }
            binder.write(outline_root, &Object::Dictionary(root))?;

            let pages: Vec<ObjectId> = cover_pages.iter().chain(&body).copied().collect();
            let info = dictionary! {
                "Title" => lopdf::text_string(&format!("Title package: {}", group_label(timeline))),
                "Subject" => lopdf::text_string(&format!("{project}: {} instruments {}", timeline.entries.len(), order_words(timeline))),
                "Producer" => Object::string_literal("AnnoLab Exporter"),
                "CreationDate" => Object::string_literal(pdf_date(made)),
            };
            binder.finish(&pages, dictionary! { "Outlines" => outline_root, "PageMode" => "UseOutlines" }, Some(info))?;
            Ok(Package {
                path: String::new(),
                pages: pages.len() as u32,
                cover_pages: offset,
                instruments,
                problems: problems.clone(),
                order_by: timeline.order_by.clone(),
            })
        })?;
        let path = std::path::absolute(out).unwrap_or_else(|_| PathBuf::from(out));
        Ok(Package { path: path.display().to_string(), ..package })
    }
}

/// `Serial Number: MC-453`.
fn group_label(timeline: &Timeline) -> String {
    format!("{}: {}", timeline.group.name, timeline.group.value.as_deref().unwrap_or("(no value)"))
}

/// `Lease #402971`.
fn entry_label(entry: &TimelineEntry) -> String {
    format!("{} #{}", entry.type_name.as_deref().unwrap_or("Instrument"), entry.id)
}

/// `1998-01-05 Lease #402971`; `undated` or the value as it is in place of the date.
fn outline_title(entry: &TimelineEntry) -> String {
    let date = match entry.dating {
        Dating::Dated => entry.date.clone().unwrap_or_default(),
        Dating::Unparseable => format!("{} (not a date)", entry.value.as_deref().unwrap_or_default()),
        Dating::Undated | Dating::NotOrdered => "undated".to_owned(),
    };
    format!("{date} {}", entry_label(entry))
}

fn order_words(timeline: &Timeline) -> String {
    match &timeline.order_by {
        Some(field) => format!("ordered by {field}, undated ones last"),
        None => "in instrument-id order (the group has no date field)".to_owned(),
    }
}

/// What the timeline itself says is wrong: undated and unparseable instruments, possible
/// duplicates (each set once).
fn timeline_problems(timeline: &Timeline) -> Vec<String> {
    let mut problems = Vec::new();
    let field = timeline.order_by.as_deref().unwrap_or_default();
    for entry in &timeline.entries {
        match entry.dating {
            Dating::Undated => problems.push(format!("{}: no {field}; placed after the dated instruments.", entry_label(entry))),
            Dating::Unparseable => problems.push(format!(
                "{}: {field} {:?} is not a date; placed after the dated instruments.",
                entry_label(entry),
                entry.value.as_deref().unwrap_or_default()
            )),
            Dating::Dated | Dating::NotOrdered => {}
        }
    }
    for entry in &timeline.entries {
        if !entry.possible_duplicates.is_empty() && entry.possible_duplicates.iter().all(|&other| other > entry.id) {
            let ids: Vec<String> = std::iter::once(entry.id).chain(entry.possible_duplicates.iter().copied()).map(|id| format!("#{id}")).collect();
            problems.push(format!(
                "{}: {} on {}; possibly the same document more than once.",
                ids.join(", "),
                entry.type_name.as_deref().unwrap_or("Instrument"),
                entry.date.as_deref().unwrap_or_default()
            ));
        }
    }
    problems
}

/// `D:19980105103000Z`, the PDF date form.
fn pdf_date(at: time::OffsetDateTime) -> String {
    format!("D:{:04}{:02}{:02}{:02}{:02}{:02}Z", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute(), at.second())
}

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const BOTTOM: f32 = 64.0;
/// Left edges of the table's columns: page, date, type, pages, id, source file.
const COLUMNS: [f32; 6] = [54.0, 92.0, 168.0, 312.0, 346.0, 400.0];
const TABLE_SIZE: f32 = 8.0;

/// One line of the cover: its font (`F1` regular, `F2` bold), size, and text at each left edge.
struct Line {
    font: &'static str,
    size: f32,
    cells: Vec<(f32, String)>,
    /// Space above it, beside the line's own height.
    gap: f32,
    role: Role,
}

/// Lines filled in once the cover's page count is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Text,
    Summary,
    Row,
}

struct Cover<'a> {
    timeline: &'a Timeline,
    project: &'a str,
    made: time::OffsetDateTime,
    problems: &'a [String],
    placed: &'a [Option<(usize, u32)>],
    body_pages: u32,
}

impl Cover<'_> {
    /// Lays the cover out, writes its pages and returns them in order.
    fn write(&self, binder: &mut Binder) -> Result<Vec<ObjectId>, EngineError> {
        let text = |font, size, gap, s: String| Line { font, size, cells: vec![(MARGIN, s)], gap, role: Role::Text };
        let mut head = vec![
            text("F2", 20.0, 0.0, "Title package".to_owned()),
            text("F2", 14.0, 6.0, group_label(self.timeline)),
            text("F1", 10.0, 8.0, format!("Project: {}", self.project)),
            text(
                "F1",
                10.0,
                2.0,
                format!(
                    "Made: {:04}-{:02}-{:02} {:02}:{:02} UTC",
                    self.made.year(),
                    u8::from(self.made.month()),
                    self.made.day(),
                    self.made.hour(),
                    self.made.minute()
                ),
            ),
            text("F1", 10.0, 2.0, format!("Order: {}", order_words(self.timeline))),
        ];
        let included = self.placed.iter().filter(|p| p.is_some()).count();
        // The cover's own pages are not known yet: the line is filled in once they are.
        head.push(Line { role: Role::Summary, ..text("F1", 10.0, 2.0, String::new()) });
        if !self.problems.is_empty() {
            head.push(text("F2", 12.0, 14.0, format!("Problems ({})", self.problems.len())));
            for problem in self.problems {
                for (k, part) in wrap(problem, 9.0, PAGE_WIDTH - 2.0 * MARGIN - 10.0).into_iter().enumerate() {
                    head.push(Line { font: "F1", size: 9.0, cells: vec![(MARGIN + if k == 0 { 0.0 } else { 10.0 }, part)], gap: 1.0, role: Role::Text });
                }
            }
        }
        head.push(text("F2", 12.0, 14.0, "Contents".to_owned()));
        let header = || Line {
            font: "F2",
            size: TABLE_SIZE,
            cells: ["Page", "Date", "Type", "Pages", "Id", "Source file"].iter().zip(COLUMNS).map(|(t, x)| (x, (*t).to_owned())).collect(),
            gap: 4.0,
            role: Role::Text,
        };
        head.push(header());

        // Paginate once with placeholder page numbers (their width is fixed), then fill them.
        let rows = self.timeline.entries.len();
        let mut pages: Vec<Vec<Line>> = vec![Vec::new()];
        let mut y = PAGE_HEIGHT - MARGIN;
        let mut push = |pages: &mut Vec<Vec<Line>>, line: Line, table: bool| {
            let height = line.size * 1.25 + line.gap;
            if y - height < BOTTOM {
                y = PAGE_HEIGHT - MARGIN;
                let continued = text("F2", 12.0, 0.0, format!("Title package: {} (continued)", group_label(self.timeline)));
                y -= continued.size * 1.25 + 8.0;
                let mut fresh = vec![continued];
                if table {
                    let header = header();
                    y -= header.size * 1.25 + header.gap;
                    fresh.push(header);
                }
                pages.push(fresh);
            }
            y -= height;
            if let Some(page) = pages.last_mut() {
                page.push(line);
            }
        };
        for line in head {
            push(&mut pages, line, false);
        }
        for _ in 0..rows {
            push(&mut pages, Line { font: "F1", size: TABLE_SIZE, cells: Vec::new(), gap: 0.0, role: Role::Row }, true);
        }
        let cover_pages = pages.len() as u32;

        // Fill in the rows and the summary now that the cover's length is known.
        let mut entries = self.timeline.entries.iter().zip(self.placed);
        for page in &mut pages {
            for line in page.iter_mut() {
                if line.role == Role::Summary {
                    line.cells[0].1 = format!(
                        "{} instruments, {included} included: {} pages after {} cover page{}.",
                        rows,
                        self.body_pages,
                        cover_pages,
                        if cover_pages == 1 { "" } else { "s" }
                    );
                }
                if line.role == Role::Row
                    && let Some((entry, place)) = entries.next()
                {
                    line.cells = self.row(entry, *place, cover_pages);
                }
            }
        }

        let regular = binder.add(&Object::Dictionary(font("Helvetica")))?;
        let bold = binder.add(&Object::Dictionary(font("Helvetica-Bold")))?;
        let total = pages.len();
        let mut ids = Vec::with_capacity(total);
        for (number, lines) in pages.into_iter().enumerate() {
            let mut operations = Vec::new();
            let mut y = PAGE_HEIGHT - MARGIN;
            for line in &lines {
                y -= line.size * 1.25 + line.gap;
                for (x, cell) in &line.cells {
                    operations.extend(show(line.font, line.size, *x, y, cell));
                }
            }
            operations.extend(show("F1", 8.0, MARGIN, 36.0, &format!("Cover page {} of {total}", number + 1)));
            // Invariant: every operand is a plain number, name or string, which always encodes.
            let content = Content { operations }.encode().unwrap_or_default();
            let contents = binder.add(&Object::Stream(Stream::new(Dictionary::new(), content)))?;
            let page = dictionary! {
                "Type" => "Page",
                "Parent" => binder.tree(),
                "MediaBox" => vec![0.into(), 0.into(), (PAGE_WIDTH as i64).into(), (PAGE_HEIGHT as i64).into()],
                "Contents" => contents,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => regular, "F2" => bold } },
            };
            ids.push(binder.add(&Object::Dictionary(page))?);
        }
        Ok(ids)
    }

    /// A table row: page in the package, date, type, pages, id, source file.
    fn row(&self, entry: &TimelineEntry, place: Option<(usize, u32)>, cover_pages: u32) -> Vec<(f32, String)> {
        let date = match entry.dating {
            Dating::Dated => entry.date.clone().unwrap_or_default(),
            Dating::Unparseable => format!("{:?}?", entry.value.as_deref().unwrap_or_default()),
            Dating::Undated | Dating::NotOrdered => "undated".to_owned(),
        };
        let (page, pages) = match place {
            Some((at, n)) => ((cover_pages + at as u32 + 1).to_string(), n.to_string()),
            None => ("-".to_owned(), "no PDF".to_owned()),
        };
        let cells = [page, date, entry.type_name.clone().unwrap_or_default(), pages, entry.id.to_string(), entry.source_name.clone().unwrap_or_default()];
        let widths: Vec<f32> = COLUMNS.windows(2).map(|w| w[1] - w[0] - 4.0).chain([PAGE_WIDTH - MARGIN - COLUMNS[5]]).collect();
        cells.into_iter().zip(COLUMNS).zip(widths).map(|((cell, x), width)| (x, fit(&cell, TABLE_SIZE, width))).collect()
    }
}

fn font(base: &str) -> Dictionary {
    dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => base, "Encoding" => "WinAnsiEncoding" }
}

fn show(font: &str, size: f32, x: f32, y: f32, text: &str) -> [Operation; 5] {
    [
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec![font.into(), size.into()]),
        Operation::new("Td", vec![x.into(), y.into()]),
        Operation::new("Tj", vec![Object::String(win_ansi(text), lopdf::StringFormat::Literal)]),
        Operation::new("ET", vec![]),
    ]
}

/// `text` in the standard fonts' WinAnsi encoding; what it cannot show becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{20ac}' => 0x80,
            _ => b'?',
        })
        .collect()
}

/// Width of `c` in Helvetica, in thousandths of the font size, rounded up by class (never
/// narrower than the real glyph, so a cell cut to fit does fit).
fn glyph_width(c: char) -> f32 {
    match c {
        'i' | 'j' | 'l' | '\'' | '.' | ',' | ':' | ';' | '!' | '|' => 278.0,
        'f' | 't' | 'r' | ' ' | '-' | '(' | ')' | '/' | 'I' | '[' | ']' => 333.0,
        'm' | 'M' => 833.0,
        'W' | 'w' | '@' => 944.0,
        'A'..='Z' => 778.0,
        _ => 611.0,
    }
}

fn width(text: &str, size: f32) -> f32 {
    text.chars().map(glyph_width).sum::<f32>() * size / 1000.0
}

/// `text` cut to `max` points at `size`, with `...` when it was cut.
fn fit(text: &str, size: f32, max: f32) -> String {
    if width(text, size) <= max {
        return text.to_owned();
    }
    let mut cut = String::new();
    for c in text.chars() {
        if width(&cut, size) + width(&c.to_string(), size) + width("...", size) > max {
            break;
        }
        cut.push(c);
    }
    format!("{}...", cut.trim_end())
}

/// `text` in lines of at most `max` points, broken between words (a word too long alone is cut).
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_owned() } else { format!("{current} {word}") };
        if width(&candidate, size) <= max || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::take(&mut current));
            current = word.to_owned();
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|line| fit(&line, size, max)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_too_wide_is_cut_to_fit_and_says_so() {
        let long = "Aircraft Registration Application with a very long name indeed";
        let cut = fit(long, 8.0, 140.0);
        assert!(cut.ends_with("...") && width(&cut, 8.0) <= 140.0, "{cut}");
        assert_eq!(fit("Lease", 8.0, 140.0), "Lease");
    }

    #[test]
    fn problems_wrap_between_words() {
        let text = "Bill of Sale #402970: its PDF Bill of Sale_1-2_402970.pdf could not be read (invalid file header); not included.";
        let lines = wrap(text, 9.0, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, 9.0) <= 200.0));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn text_outside_win_ansi_becomes_a_question_mark() {
        assert_eq!(win_ansi("Café – “x” 日"), b"Caf\xe9 \x96 \x93x\x94 ?".to_vec());
    }
}
