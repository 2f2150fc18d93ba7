//! The table as CSV: every row a query keeps, every tag attribute a column, in a file Excel on
//! Windows opens correctly.

use std::path::{Path, PathBuf};

use rusqlite::params_from_iter;

use super::sql::{Params, ROW_COLUMNS, attribute_columns, filter, order, read_row};
use super::{Browser, Query};
use crate::error::EngineError;

impl Browser {
    /// Writes every row matching `query` (sorted as it is) to `out` as CSV: one row per
    /// instrument, every tag attribute a column, UTF-8 with a byte order mark and CRLF line
    /// ends (what Excel on Windows opens correctly). Returns the number of rows written.
    pub fn write_csv(&self, query: &Query, out: &Path) -> Result<u64, EngineError> {
        let attributes = self.attribute_names()?;
        let query = Query { columns: attributes.clone(), ..query.clone() };
        let mut sql = Params::new();
        let columns = attribute_columns(&mut sql, &query.columns);
        let search = self.asked(&query.search)?.expression;
        let (from, filter) = filter(&mut sql, &query, &search);
        let order = order(&mut sql, &query.sort, !search.is_empty());
        let text = format!("SELECT {ROW_COLUMNS}{columns} FROM {from}{filter} ORDER BY {order}");
        let mut header: Vec<String> =
            ["id", "type", "source", "start page", "end page", "pdf pages", "tag types", "reviewed by", "reviewed at", "has pdf", "problems"]
                .map(str::to_owned)
                .to_vec();
        header.extend(attributes.iter().cloned());
        // Compared with an older export: what changed, so the file says why each row is in it.
        let compared = query.changes.is_some();
        if compared {
            header.extend(["change".to_owned(), "changed fields".to_owned()]);
        }
        let mut csv = ExcelCsv::create(out, &header)?;
        let mut statement = self.db.prepare(&text)?;
        let mut rows = statement.query(params_from_iter(sql.params.iter()))?;
        while let Some(row) = rows.next()? {
            let row = read_row(row, attributes.len())?;
            let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let mut record = vec![
                row.id.to_string(),
                cell(row.type_name.unwrap_or_default()),
                cell(row.source_name.unwrap_or_default()),
                number(row.start_page),
                number(row.end_page),
                number(row.pdf_pages),
                cell(row.tag_types.join("; ")),
                cell(row.reviewed_by.unwrap_or_default()),
                cell(row.reviewed_at.unwrap_or_default()),
                if row.has_pdf { "yes" } else { "no" }.to_owned(),
                row.problems.join("; "),
            ];
            record.extend(row.columns.into_iter().map(|v| cell(v.unwrap_or_default())));
            if compared {
                record.push(row.change.map(|k| k.as_str()).unwrap_or_default().to_owned());
                record.push(row.changed_fields.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("; "));
            }
            csv.write(&record)?;
        }
        csv.finish()
    }

    /// Writes the table as CSV into the export's `saved/` folder, named by the time; returns
    /// the file and the number of rows.
    pub fn save_csv(&self, query: &Query) -> Result<(PathBuf, u64), EngineError> {
        let out = self.saved_path("instruments", "csv")?;
        let rows = self.write_csv(query, &out)?;
        Ok((out, rows))
    }
}

/// A CSV file as Excel on Windows opens it correctly, written beside its place as `.csv.part`
/// and renamed into place when finished, so a half-written file never looks complete. Excel
/// reads a CSV without a byte order mark in the ANSI code page (and so mangles every accent);
/// RFC 4180 ends records with CRLF. Both suit every other reader.
pub(crate) struct ExcelCsv {
    out: PathBuf,
    part: PathBuf,
    csv: csv::Writer<std::io::BufWriter<std::fs::File>>,
    rows: u64,
}

impl ExcelCsv {
    pub(crate) fn create(out: &Path, header: &[impl AsRef<[u8]>]) -> Result<Self, EngineError> {
        let part = out.with_extension("csv.part");
        let io = EngineError::io(format!("could not write {}", out.display()));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&part).map_err(io)?);
        std::io::Write::write_all(&mut file, "\u{feff}".as_bytes()).map_err(EngineError::io(format!("could not write {}", out.display())))?;
        let csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(file);
        let mut csv = ExcelCsv { out: out.to_path_buf(), part, csv, rows: 0 };
        csv.record(header)?;
        Ok(csv)
    }

    /// Writes one row.
    pub(crate) fn write(&mut self, row: &[impl AsRef<[u8]>]) -> Result<(), EngineError> {
        self.record(row)?;
        self.rows += 1;
        Ok(())
    }

    /// Puts the file in place; returns the number of rows written (the header not counted).
    pub(crate) fn finish(mut self) -> Result<u64, EngineError> {
        self.csv.flush().map_err(EngineError::io(format!("could not write {}", self.out.display())))?;
        let ExcelCsv { out, part, csv, rows } = self;
        drop(csv);
        std::fs::rename(&part, &out).map_err(EngineError::io(format!("could not write {}", out.display())))?;
        Ok(rows)
    }

    fn record(&mut self, row: &[impl AsRef<[u8]>]) -> Result<(), EngineError> {
        let out = &self.out;
        self.csv.write_record(row).map_err(|e| EngineError::Io { context: format!("could not write {}", out.display()), source: std::io::Error::other(e) })
    }
}

/// A spreadsheet program runs a cell that begins with `=`, `+`, `-` or `@` as a formula, so such
/// text (never a number) is prefixed with `'`, which it shows as plain text.
pub(crate) fn cell(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() { format!("'{text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::cell;
    #[test]
    fn text_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")".into()), "'=HYPERLINK(\"http://x\")");
        assert_eq!(cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(cell("+1 555 0100 call".into()), "'+1 555 0100 call");
        assert_eq!(cell("-12.5".into()), "-12.5", "a number stays a number");
        assert_eq!(cell("N-1234".into()), "N-1234");
    }
}
