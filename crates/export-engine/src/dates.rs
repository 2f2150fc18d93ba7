//! Dates as people and AnnoLab write them in annotations and tag attributes: `1998-01-05` (with or
//! without a time), `1/5/1998`, `01/05/1998`, `January 5, 1998`, `Jan. 5th, 1998`,
//! `5 January 1998`, `05-Jan-1998`, `05.01.1998`.
//!
//! A value is read in one of three ways ([`DateValue`]): nothing there, a date, or something
//! shaped like a date that is not one (`13/45/1998`, `Febtober 3, 2001`), which a timeline shows
//! as it is instead of guessing. The shape is recognised here; whether the day exists (leap
//! years, 31 April) is the `time` crate's `Date::from_calendar_date`, already the engine's
//! date crate, so no second one is added.
//!
//! Conventions, since the numbers alone cannot say: with `/` or `-` and the year last the
//! order is the US one, month first (FAA records); with `.` it is day first (`05.01.1998` is
//! 5 January). A two-digit year is read only in the month-first form with `/` (`1/5/98`): 00-49
//! are 2000-2049, 50-99 are 1950-1999.

use time::{Date, Month};

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
    if text.is_empty() {
        return DateValue::None;
    }
    if let Some(found) = iso(text) {
        return found;
    }
    let tokens = tokens(text);
    if let Some(found) = numeric(&tokens) {
        return found;
    }
    worded(&tokens).unwrap_or(DateValue::None)
}

/// `date` as `YYYY-MM-DD`.
pub fn iso_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// `YYYY-MM-DD`, then nothing, or a time (`T` or a space, `HH:MM`, optional seconds and
/// fraction, optional `Z` or offset).
fn iso(text: &str) -> Option<DateValue> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7) && bytes.get(7) == Some(&b'-') && digits(8..10)) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i32>().ok();
    let date = calendar(number(0..4)?, number(5..7)?, number(8..10)?);
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(date);
    }
    if bytes.get(10).is_some_and(u8::is_ascii_digit) {
        // `1998-01-0512`: no date of this shape; the other readers decide.
        return None;
    }
    let time = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t')).or_else(|| rest.strip_prefix(' '))?;
    Some(if clock(time.trim()) { date } else { DateValue::Unparseable })
}

/// `HH:MM[:SS[.fff]][Z|±HH[:MM]]`, every field in range.
fn clock(text: &str) -> bool {
    let (time, zone) = match text.find(['Z', 'z', '+', '-']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let zone_ok = match zone {
        "" | "Z" | "z" => true,
        _ => {
            let offset = zone[1..].replace(':', "");
            offset.len() == 4
                && offset.bytes().all(|b| b.is_ascii_digit())
                && offset[..2].parse::<u8>().is_ok_and(|h| h < 24)
                && offset[2..].parse::<u8>().is_ok_and(|m| m < 60)
        }
    };
    let mut parts = time.trim().split(':');
    let field = |part: Option<&str>| part.filter(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())).and_then(|p| p.parse::<u8>().ok());
    let (Some(hour), Some(minute)) = (field(parts.next()), field(parts.next())) else { return false };
    let second = match parts.next() {
        None => Some(0),
        Some(text) => {
            let whole = text
                .split_once('.')
                .map_or(text, |(whole, fraction)| if fraction.bytes().all(|b| b.is_ascii_digit()) && !fraction.is_empty() { whole } else { "x" });
            field(Some(whole))
        }
    };
    zone_ok && parts.next().is_none() && second.is_some_and(|s| time::Time::from_hms(hour, minute, s).is_ok())
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

/// `M/D/YYYY`, `M-D-YYYY`, `D.M.YYYY`, `YYYY/M/D`, `M/D/YY`.
fn numeric(tokens: &[Token]) -> Option<DateValue> {
    let [Token::Number(a), Token::Mark(m1), Token::Number(b), Token::Mark(m2), Token::Number(c)] = tokens else { return None };
    if m1 != m2 || !matches!(m1, '/' | '-' | '.') {
        return None;
    }
    let short = |s: &str| (1..=2).contains(&s.len());
    let n = |s: &str| s.parse::<i32>().ok();
    Some(match (a.len(), b.len(), c.len()) {
        (4, _, _) if short(b) && short(c) => calendar(n(a)?, n(b)?, n(c)?),
        (_, _, 4) if short(a) && short(b) && *m1 == '.' => calendar(n(c)?, n(b)?, n(a)?),
        (_, _, 4) if short(a) && short(b) => calendar(n(c)?, n(a)?, n(b)?),
        (_, _, 2) if short(a) && short(b) && *m1 == '/' => {
            let year = n(c)?;
            calendar(if year < 50 { 2000 + year } else { 1900 + year }, n(a)?, n(b)?)
        }
        _ => return None,
    })
}

/// A month's name and a day and a four-digit year, in either order: `January 5, 1998`,
/// `Jan. 5th 1998`, `5 January 1998`, `05-Jan-1998`; a weekday in front is passed over.
fn worded(tokens: &[Token]) -> Option<DateValue> {
    let words: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Mark('.' | '-'))).collect();
    let words: &[&Token] = match words.as_slice() {
        [Token::Word(day), rest @ ..] if weekday(day) && rest.len() == 3 => rest,
        all => all,
    };
    let day_of = |number: &str, suffix: Option<&str>| -> Option<i32> {
        if !(1..=2).contains(&number.len()) {
            return None;
        }
        if let Some(suffix) = suffix
            && !["st", "nd", "rd", "th"].contains(&suffix.to_ascii_lowercase().as_str())
        {
            return None;
        }
        number.parse().ok()
    };
    let year_of = |number: &str| if number.len() == 4 { number.parse::<i32>().ok() } else { None };
    let (name, day, year) = match words {
        [Token::Word(name), Token::Number(day), Token::Number(year)] => (*name, day_of(day, None)?, year_of(year)?),
        [Token::Word(name), Token::Number(day), Token::Word(suffix), Token::Number(year)] => (*name, day_of(day, Some(suffix))?, year_of(year)?),
        [Token::Number(day), Token::Word(name), Token::Number(year)] => (*name, day_of(day, None)?, year_of(year)?),
        [Token::Number(day), Token::Word(suffix), Token::Word(name), Token::Number(year)] => (*name, day_of(day, Some(suffix))?, year_of(year)?),
        _ => return None,
    };
    if tokens.iter().any(|t| matches!(t, Token::Mark('?' | '/'))) {
        return None;
    }
    Some(match month(name) {
        Some(month) => calendar(year, month, day),
        None => DateValue::Unparseable,
    })
}

fn month(word: &str) -> Option<i32> {
    const MONTHS: [&str; 12] = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
    let word = word.to_lowercase();
    MONTHS.iter().position(|full| word == *full || (word.len() >= 3 && full.starts_with(&word) && (word.len() == 3 || word == "sept"))).map(|i| i as i32 + 1)
}

fn weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let word = word.to_lowercase();
    DAYS.iter().any(|full| word == *full || (word.len() == 3 && full.starts_with(&word)))
}

fn calendar(year: i32, month: i32, day: i32) -> DateValue {
    let month = u8::try_from(month).ok().and_then(|m| Month::try_from(m).ok());
    let day = u8::try_from(day).ok();
    match (month, day) {
        (Some(month), Some(day)) if (1000..=2999).contains(&year) => Date::from_calendar_date(year, month, day).map_or(DateValue::Unparseable, DateValue::Date),
        _ => DateValue::Unparseable,
    }
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
