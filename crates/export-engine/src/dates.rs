//! Dates as people and AnnoLab write them in annotations and tag attributes: `1998-01-05` (with or
//! without a time), `1/5/1998`, `01/05/1998`, `January 5, 1998`, `Jan. 5th, 1998`,
//! `5 January 1998`, `05-Jan-1998`, `05.01.1998`, any of them followed by a time of day
//! (`1/5/1998 10:30 AM`, `1998-01-05T10:30:00Z`).
//!
//! A value is read in one of three ways ([`DateValue`]): nothing there, a date, or something
//! shaped like a date that is not one (`13/45/1998`, `Febtober 3, 2001`), which a timeline shows
//! as it is instead of guessing. Here we only recognise which written form a value has and bring
//! it to that form's one spelling (no ordinal suffix, no weekday, one separator, a four-digit
//! year); the `time` crate's parser then reads it against the form's format description, so the
//! month names, digit counts, ranges and leap years are the crate's, not ours.
//!
//! Conventions, since the numbers alone cannot say: with `/` or `-` and the year last the
//! order is the US one, month first (FAA records); with `.` it is day first (`05.01.1998` is
//! 5 January). A two-digit year (`1/5/98`, `5-Jan-98`) is 2000-2049 for 00-49 and 1950-1999 for
//! 50-99. A time of day after a date must be one (`25:00` makes the value unparseable), and its
//! zone does not move the date: the day written is the day recorded.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Time, UtcOffset};

/// What a value says about a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    /// Empty, or not shaped like a date at all (a serial number, a name).
    None,
    Date(Date),
    /// Shaped like a date, but no such day exists or the month is no month.
    Unparseable,
}

/// Reads `text` as a date (see the module's conventions).
pub fn parse(text: &str) -> DateValue {
    let text = text.trim();
    let (day, clock) = split_clock(text);
    let Some(written) = iso(day).or_else(|| numeric(&tokens(day))).or_else(|| worded(&tokens(day))) else {
        return DateValue::None;
    };
    let read = Date::parse(&written.text, written.format).ok().filter(|date| (1000..=2999).contains(&date.year()));
    match read {
        Some(date) if clock.is_none_or(time_of_day) => DateValue::Date(date),
        _ => DateValue::Unparseable,
    }
}

/// `date` as `YYYY-MM-DD`.
pub fn iso_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A value in one written form, spelled as that form's format description reads it.
struct Written {
    text: String,
    format: &'static [BorrowedFormatItem<'static>],
}

const YEAR_MONTH_DAY: &[BorrowedFormatItem<'static>] = format_description!("[year]/[month padding:none]/[day padding:none]");
const MONTH_DAY_YEAR: &[BorrowedFormatItem<'static>] = format_description!("[month padding:none]/[day padding:none]/[year]");
const DAY_MONTH_YEAR: &[BorrowedFormatItem<'static>] = format_description!("[day padding:none]/[month padding:none]/[year]");
const LONG_MONTH: &[BorrowedFormatItem<'static>] = format_description!("[month repr:long case_sensitive:false] [day padding:none] [year]");
const SHORT_MONTH: &[BorrowedFormatItem<'static>] = format_description!("[month repr:short case_sensitive:false] [day padding:none] [year]");

/// Splits a time of day off the end: after `T` in an ISO date-time (`1998-01-05T10:30Z`), or
/// from the first space-separated word that holds a `:` (`1/5/1998 10:30 AM`), or a bare `Z`.
fn split_clock(text: &str) -> (&str, Option<&str>) {
    let bytes = text.as_bytes();
    if bytes.len() > 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        match bytes[10] {
            b'T' | b't' => return (&text[..10], Some(&text[11..])),
            b'Z' | b'z' if bytes.len() == 11 => return (&text[..10], None),
            _ => {}
        }
    }
    let mut start = 0;
    for word in text.split(' ') {
        if word.contains(':') && start > 0 {
            return (text[..start].trim_end(), Some(text[start..].trim()));
        }
        start += word.len() + 1;
    }
    (text, None)
}

/// `HH:MM[:SS[.fff]]`, on the 24-hour clock or the 12-hour one with AM/PM, then an optional
/// zone (`Z`, `UTC`, `GMT`, `+02:00`, `-0500`).
fn time_of_day(clock: &str) -> bool {
    const CLOCKS: [&[BorrowedFormatItem<'static>]; 6] = [
        format_description!("[hour padding:none]:[minute]"),
        format_description!("[hour padding:none]:[minute]:[second]"),
        format_description!("[hour padding:none]:[minute]:[second].[subsecond]"),
        format_description!("[hour padding:none repr:12]:[minute] [period case_sensitive:false]"),
        format_description!("[hour padding:none repr:12]:[minute]:[second] [period case_sensitive:false]"),
        format_description!("[hour padding:none repr:12]:[minute][period case_sensitive:false]"),
    ];
    const OFFSETS: [&[BorrowedFormatItem<'static>]; 2] =
        [format_description!("[offset_hour sign:mandatory]:[offset_minute]"), format_description!("[offset_hour sign:mandatory][offset_minute]")];
    let clock = clock.trim();
    let (time, zone) = match clock.rfind(['Z', 'z', '+', '-', ' ']) {
        // A space before AM/PM belongs to the time; before a zone's name or offset it does not.
        Some(at) if matches!(clock[at..].trim().to_ascii_uppercase().as_str(), "Z" | "UTC" | "GMT") || clock[at..].starts_with(['+', '-']) => {
            (clock[..at].trim_end(), clock[at..].trim())
        }
        _ => (clock, ""),
    };
    let zone_ok = matches!(zone.to_ascii_uppercase().as_str(), "" | "Z" | "UTC" | "GMT") || OFFSETS.iter().any(|f| UtcOffset::parse(zone, f).is_ok());
    zone_ok && CLOCKS.iter().any(|format| Time::parse(time, format).is_ok())
}

/// `YYYY-MM-DD`, digits exactly.
fn iso(text: &str) -> Option<Written> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    (bytes.len() == 10 && digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10))
        .then(|| Written { text: text.replace('-', "/"), format: YEAR_MONTH_DAY })
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Number(&'a str),
    Word(&'a str),
    /// One of `/ - .`; commas and spaces only separate.
    Mark(char),
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let run = |test: fn(char) -> bool| rest.find(|c: char| !test(c)).unwrap_or(rest.len());
        if c.is_ascii_digit() {
            let end = run(|c| c.is_ascii_digit());
            tokens.push(Token::Number(&rest[..end]));
            rest = &rest[end..];
        } else if c.is_alphabetic() {
            let end = run(char::is_alphabetic);
            tokens.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        } else {
            if matches!(c, '/' | '-' | '.') {
                tokens.push(Token::Mark(c));
            } else if !(c.is_whitespace() || c == ',') {
                // Anything else (`#`, `:`, `(`) means this is not a date written as a date.
                tokens.push(Token::Mark('?'));
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    tokens
}

/// `M/D/YYYY`, `M-D-YYYY`, `D.M.YYYY`, `YYYY/M/D`, `M/D/YY`, `M-D-YY`.
fn numeric(tokens: &[Token]) -> Option<Written> {
    let [Token::Number(a), Token::Mark(m1), Token::Number(b), Token::Mark(m2), Token::Number(c)] = tokens else { return None };
    if m1 != m2 || !matches!(m1, '/' | '-' | '.') {
        return None;
    }
    let short = |s: &str| (1..=2).contains(&s.len());
    let (text, format) = match (a.len(), b.len(), c.len()) {
        (4, _, _) if short(b) && short(c) => (format!("{a}/{b}/{c}"), YEAR_MONTH_DAY),
        (_, _, 4) if short(a) && short(b) && *m1 == '.' => (format!("{a}/{b}/{c}"), DAY_MONTH_YEAR),
        (_, _, 4) if short(a) && short(b) => (format!("{a}/{b}/{c}"), MONTH_DAY_YEAR),
        (_, _, 2) if short(a) && short(b) && *m1 != '.' => (format!("{a}/{b}/{}", full_year(c)?), MONTH_DAY_YEAR),
        _ => return None,
    };
    Some(Written { text, format })
}

/// A month's name and a day and a year, in either order: `January 5, 1998`, `Jan. 5th 1998`,
/// `5 January 1998`, `05-Jan-1998`, `5-Jan-98`; a weekday in front is passed over.
fn worded(tokens: &[Token]) -> Option<Written> {
    if tokens.iter().any(|t| matches!(t, Token::Mark('?' | '/'))) {
        return None;
    }
    let words: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Mark('.' | '-'))).collect();
    let words: &[&Token] = match words.as_slice() {
        [Token::Word(day), rest @ ..] if weekday(day) && rest.len() >= 3 => rest,
        all => all,
    };
    let day_of = |number: &str, suffix: Option<&str>| -> Option<String> {
        let suffix_ok = suffix.is_none_or(|s| ["st", "nd", "rd", "th"].contains(&s.to_ascii_lowercase().as_str()));
        ((1..=2).contains(&number.len()) && suffix_ok).then(|| number.to_owned())
    };
    // A two-digit year only in the `05-Jan-98` form, where the hyphens say it is a date: `Lot 5 12`
    // is not one.
    let hyphenated = matches!(tokens, [Token::Number(_), Token::Mark('-'), Token::Word(_), Token::Mark('-'), Token::Number(_)]);
    let year_of = |number: &str| match number.len() {
        4 => Some(number.to_owned()),
        2 if hyphenated => full_year(number),
        _ => None,
    };
    let (name, day, year) = match words {
        [Token::Word(name), Token::Number(day), Token::Number(year)] => (*name, day_of(day, None)?, year_of(year)?),
        [Token::Word(name), Token::Number(day), Token::Word(suffix), Token::Number(year)] => (*name, day_of(day, Some(suffix))?, year_of(year)?),
        [Token::Number(day), Token::Word(name), Token::Number(year)] => (*name, day_of(day, None)?, year_of(year)?),
        [Token::Number(day), Token::Word(suffix), Token::Word(name), Token::Number(year)] => (*name, day_of(day, Some(suffix))?, year_of(year)?),
        _ => return None,
    };
    // `Sept` is the one abbreviation of four letters in common use; the crate knows `Sep`.
    let name = if name.eq_ignore_ascii_case("sept") { "Sep" } else { name };
    let format = if name.chars().count() > 3 { LONG_MONTH } else { SHORT_MONTH };
    Some(Written { text: format!("{name} {day} {year}"), format })
}

/// A two-digit year in full: 00-49 are 2000-2049, 50-99 are 1950-1999.
fn full_year(two: &str) -> Option<String> {
    let year: u32 = two.parse().ok().filter(|_| two.len() == 2)?;
    Some((if year < 50 { 2000 + year } else { 1900 + year }).to_string())
}

fn weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let word = word.to_lowercase();
    DAYS.iter().any(|full| word == *full || (word.len() == 3 && full.starts_with(&word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(value: DateValue) -> String {
        match value {
            DateValue::None => "none".to_owned(),
            DateValue::Date(date) => iso_text(date),
            DateValue::Unparseable => "unparseable".to_owned(),
        }
    }

    #[test]
    fn every_written_form_reads_as_its_day_or_says_why_not() {
        let cases: &[(&str, &str)] = &[
            // ISO, with and without a time.
            ("1998-01-05", "1998-01-05"),
            ("  1998-01-05 ", "1998-01-05"),
            ("1998-01-05T10:30:00Z", "1998-01-05"),
            ("1998-01-05T10:30:00.250+02:00", "1998-01-05"),
            ("1998-01-05 10:30", "1998-01-05"),
            ("1998-01-05Z", "1998-01-05"),
            ("1998-01-05 10:30 UTC", "1998-01-05"),
            ("1998-01-05 10:30:00 -0500", "1998-01-05"),
            ("2024-02-29T23:59:59-05:00", "2024-02-29"),
            ("1998-01-05T25:00:00Z", "unparseable"),
            ("1998-01-05Tnoon", "unparseable"),
            ("1998-02-30", "unparseable"),
            ("2023-02-29", "unparseable"),
            ("1998-13-01", "unparseable"),
            // Month first with / and -.
            ("1/5/1998", "1998-01-05"),
            ("01/05/1998", "1998-01-05"),
            ("12/31/2001", "2001-12-31"),
            ("1-5-1998", "1998-01-05"),
            ("1/5/98", "1998-01-05"),
            ("3/7/04", "2004-03-07"),
            ("1998/01/05", "1998-01-05"),
            ("13/45/1998", "unparseable"),
            ("2/30/2001", "unparseable"),
            ("25/12/1998", "unparseable"),
            ("1-5-98", "1998-01-05"),
            // With a time of day, which must be one.
            ("1/5/1998 10:30 AM", "1998-01-05"),
            ("1/5/1998 9:05pm", "1998-01-05"),
            ("01/05/1998 14:30:00", "1998-01-05"),
            ("January 5, 1998 3:15 PM", "1998-01-05"),
            ("1/5/1998 25:00", "unparseable"),
            ("1/5/1998 13:30 PM", "unparseable"),
            // Day first with dots.
            ("05.01.1998", "1998-01-05"),
            ("31.12.2001", "2001-12-31"),
            // Words.
            ("January 5, 1998", "1998-01-05"),
            ("january 5 1998", "1998-01-05"),
            ("Jan 5, 1998", "1998-01-05"),
            ("Jan. 5, 1998", "1998-01-05"),
            ("Sept. 9, 2010", "2010-09-09"),
            ("Sep 9 2010", "2010-09-09"),
            ("January 5th, 1998", "1998-01-05"),
            ("5 January 1998", "1998-01-05"),
            ("5th January 1998", "1998-01-05"),
            ("05-Jan-1998", "1998-01-05"),
            ("5-Jan-98", "1998-01-05"),
            ("05-JAN-04", "2004-01-05"),
            ("5 JAN 1998", "1998-01-05"),
            ("Monday, January 5, 1998", "1998-01-05"),
            ("February 29, 2000", "2000-02-29"),
            ("February 29, 1900", "unparseable"),
            ("Febtober 3, 2001", "unparseable"),
            ("Ja 3, 2001", "unparseable"),
            ("April 31, 2001", "unparseable"),
            ("January 5xx, 1998", "none"),
            // Not dates at all.
            ("", "none"),
            ("   ", "none"),
            ("MC-453", "none"),
            ("N453MC", "none"),
            ("L-24512-51A", "none"),
            ("1840", "none"),
            ("Skyline Aviation LLC", "none"),
            ("IO-360-A1B6", "none"),
            ("28-1998", "none"),
            ("19980105", "none"),
            ("1998-01-0512", "none"),
            ("Lease 5", "none"),
            ("Lot 5 12", "none"),
            ("Invoice 12:30", "none"),
            ("Serial: 1998", "none"),
            ("1/2/3/4", "none"),
            ("1.2.3", "none"),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(text, want)| shown(parse(text)) != *want)
            .map(|(text, want)| format!("{text:?}: got {}, want {want}", shown(parse(text))))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn a_year_outside_the_records_is_no_date() {
        assert_eq!(parse("0001-01-01"), DateValue::Unparseable);
        assert_eq!(parse("1/1/0999"), DateValue::Unparseable);
    }
}
