//! The app's command list is written by hand in five places that nothing else ties together:
//! the `#[tauri::command]` functions in `src/`, `generate_handler![...]` in `src/lib.rs`, the
//! `COMMANDS` declared to Tauri's access control in `build.rs`, the `allow-<command>`
//! permissions in `capabilities/default.json`, and the calls in `ui/src/lib/backend.ts`.
//! A name missing from one of them fails only at run time (a command the UI may not call, or
//! calls in vain), so these tests read the five as text and name every command they disagree on.
//!
//! They also check every command is an `async fn`: Tauri runs a synchronous command on the main
//! thread, and the window freezes while it works.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The functions in backend.ts whose first argument, when a string literal, is a command name:
/// Tauri's `invoke` and the file's typed wrapper around it.
const TS_CALLERS: &[&str] = &["invoke", "call"];

#[test]
fn every_list_of_commands_names_the_same_commands() {
    let lists: Vec<(&str, Vec<String>)> = vec![
        ("the #[tauri::command] functions in src-tauri/src", command_fns().into_iter().map(|f| f.name).collect()),
        ("generate_handler![...] in src-tauri/src/lib.rs", handler_commands(&read("src/lib.rs"))),
        ("COMMANDS in src-tauri/build.rs", build_commands(&read("build.rs"))),
        ("the allow-<command> permissions in src-tauri/capabilities/default.json", capability_commands(&read("capabilities/default.json"))),
        ("the invoke/call(\"<command>\") calls in ui/src/lib/backend.ts", ui_commands(&read("../ui/src/lib/backend.ts"))),
    ];

    let mut problems = Vec::new();
    for (what, names) in &lists {
        if names.is_empty() {
            problems.push(format!("found no command in {what}: has its format changed? (see tests/commands.rs)"));
        }
        let mut seen = BTreeSet::new();
        for name in names.iter().filter(|name| !seen.insert(name.as_str())) {
            problems.push(format!("`{name}` is listed twice in {what}"));
        }
    }

    let mut found_in: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (index, (_, names)) in lists.iter().enumerate() {
        for name in names {
            found_in.entry(name).or_default().insert(index);
        }
    }
    for (name, present) in &found_in {
        let missing: Vec<&str> = (0..lists.len()).filter(|i| !present.contains(i)).map(|i| lists[i].0).collect();
        if !missing.is_empty() {
            problems.push(format!("command `{name}` is missing from {}", missing.join(", and from ")));
        }
    }

    assert!(problems.is_empty(), "the app's command lists disagree:\n  - {}", problems.join("\n  - "));
}

#[test]
fn every_command_is_async() {
    let commands = command_fns();
    assert!(!commands.is_empty(), "found no #[tauri::command] function in src-tauri/src: has the attribute's form changed?");
    let blocking: Vec<String> =
        commands.iter().filter(|f| !f.is_async).map(|f| format!("`{}` ({}:{}) is a #[tauri::command] but not an `async fn`", f.name, f.file, f.line)).collect();
    assert!(
        blocking.is_empty(),
        "Tauri runs a command that is not async on the main thread, freezing the window while it works; \
         make it `async fn` (returning a Result when it takes a State) and hand blocking work to spawn_blocking:\n  - {}",
        blocking.join("\n  - ")
    );
}

#[test]
fn the_readers_understand_the_forms_they_meet() {
    let rust = "// #[tauri::command]\n// fn commented_out() {}\n#[tauri::command]\n/// Docs that mention fn.\n#[allow(clippy::unused_async)]\npub(crate) async fn a(x: u8) {}\n\n#[tauri::command(rename_all = \"snake_case\")]\npub fn b() {}\n";
    let found = command_fns_in(rust);
    assert_eq!(found, vec![("a".to_owned(), true, 6), ("b".to_owned(), false, 9)]);

    let handler = "tauri::generate_handler![\n  commands::a, // the first\n  // commands::gone,\n  b,\n]";
    assert_eq!(handler_commands(handler), ["a", "b"]);

    let build = "/// Every command.\nconst COMMANDS: &[&str] = &[\n    \"a\", // first\n    \"b\",\n];";
    assert_eq!(build_commands(build), ["a", "b"]);

    let capability = r#"{"permissions": ["allow-a-b", {"identifier": "allow-c"}, "dialog:allow-open", {"identifier": "fs:scope", "allow": []}]}"#;
    assert_eq!(capability_commands(capability), ["a_b", "c"]);

    let ts = "// call(\"commented\")\n/** call(\"in_docs\") */\nreturn call<{ files: string[] }>( 'a', { x });\ninvoke<() => void>(\"b\");\nrecall(\"not_one\");\ncore.invoke(`c`);\nasync function call<T>(command: string) { return invoke<T>(command); }";
    assert_eq!(ui_commands(ts), ["a", "b", "c"]);
}

// --- Readers -----------------------------------------------------------------------------------

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = crate_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `text` with every line that is a comment (`//`, `///`, or inside a `/* */` block written the
/// usual way, each line starting with `/*` or `*`) blanked, so line numbers stay.
fn without_comment_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") || trimmed.starts_with("/*") || trimmed.starts_with('*') { "" } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` up to a trailing `//` comment (for lines known to hold no string with `//` in it).
fn before_comment(line: &str) -> &str {
    line.split("//").next().unwrap_or(line)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The names in `tauri::generate_handler![...]`, without their module path.
fn handler_commands(lib_rs: &str) -> Vec<String> {
    let text = without_comment_lines(lib_rs);
    let start = text.find("generate_handler![").expect("src/lib.rs has no generate_handler![...]") + "generate_handler![".len();
    let end = start + text[start..].find(']').expect("generate_handler![ is never closed");
    text[start..end]
        .lines()
        .flat_map(|line| before_comment(line).split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.rsplit("::").next().unwrap_or(item).trim().to_owned())
        .collect()
}

/// The string literals in `const COMMANDS: &[&str] = &[...];`.
fn build_commands(build_rs: &str) -> Vec<String> {
    let text = without_comment_lines(build_rs);
    let start = text.find("const COMMANDS").expect("build.rs has no `const COMMANDS`");
    let open = start + text[start..].find('=').expect("`const COMMANDS` has no value") + 1;
    let open = open + text[open..].find('[').expect("`const COMMANDS` is not a list") + 1;
    let close = open + text[open..].find(']').expect("`const COMMANDS` list is never closed");
    let literals: String = text[open..close].lines().map(before_comment).collect::<Vec<_>>().join("\n");
    literals.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The commands the capability allows: its `allow-<command>` permissions, `-` read as `_`.
/// Plugin permissions (`plugin:...`) are the plugins' business and skipped; an app permission of
/// another form is not something this test understands, so it fails rather than guess.
fn capability_commands(json: &str) -> Vec<String> {
    let capability: serde_json::Value = serde_json::from_str(json).expect("capabilities/default.json is not JSON");
    let permissions = capability["permissions"].as_array().expect("capabilities/default.json has no \"permissions\" list");
    permissions
        .iter()
        .map(|permission| match permission {
            serde_json::Value::String(id) => id.as_str(),
            other => other["identifier"].as_str().unwrap_or_else(|| panic!("a permission without an identifier: {other}")),
        })
        .filter(|id| !id.contains(':'))
        .map(|id| match id.strip_prefix("allow-") {
            Some(command) => command.replace('-', "_"),
            None => panic!("capabilities/default.json grants the app permission `{id}`, which is not `allow-<command>`: extend tests/commands.rs"),
        })
        .collect()
}

/// Every distinct command named by a string literal as the first argument of a [`TS_CALLERS`]
/// function, generic arguments (`call<T>(...)`) allowed, in order of first appearance.
fn ui_commands(backend_ts: &str) -> Vec<String> {
    let text = without_comment_lines(backend_ts);
    let chars: Vec<char> = text.chars().collect();
    let mut found: Vec<(usize, String)> = Vec::new();
    for caller in TS_CALLERS {
        let pattern: Vec<char> = caller.chars().collect();
        for at in 0..chars.len().saturating_sub(pattern.len()) {
            if chars[at..at + pattern.len()] != pattern[..] || (at > 0 && is_ident(chars[at - 1])) {
                continue;
            }
            if let Some(name) = literal_first_argument(&chars, at + pattern.len()) {
                found.push((at, name));
            }
        }
    }
    found.sort();
    let mut seen = BTreeSet::new();
    found.into_iter().map(|(_, name)| name).filter(|name| seen.insert(name.clone())).collect()
}

/// The string literal that opens the argument list starting at `at` (after a callee's name),
/// if the callee is called there with one.
fn literal_first_argument(chars: &[char], mut at: usize) -> Option<String> {
    let skip_space = |at: &mut usize| {
        while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
            *at += 1;
        }
    };
    skip_space(&mut at);
    if chars.get(at) == Some(&'<') {
        // Generic arguments: balanced angle brackets, an arrow's `=>` not closing one.
        let mut depth = 0;
        loop {
            match chars.get(at)? {
                '<' => depth += 1,
                '>' if chars.get(at - 1) != Some(&'=') => depth -= 1,
                _ => {}
            }
            at += 1;
            if depth == 0 {
                break;
            }
        }
        skip_space(&mut at);
    }
    if chars.get(at) != Some(&'(') {
        return None;
    }
    at += 1;
    skip_space(&mut at);
    let quote = *chars.get(at).filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let rest = &chars[at + 1..];
    let name: String = rest.iter().take_while(|&&c| c != quote).collect();
    assert!(!name.contains("${") && !name.contains('\\'), "backend.ts builds a command name at run time ({name:?}): this test cannot check it");
    Some(name)
}

/// A `#[tauri::command]` function as written in the source.
struct CommandFn {
    name: String,
    is_async: bool,
    file: String,
    line: usize,
}

/// Every `#[tauri::command]` function in the `.rs` files under src-tauri/src.
fn command_fns() -> Vec<CommandFn> {
    let src = crate_dir().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let file = path.strip_prefix(crate_dir()).unwrap_or(&path).display().to_string();
        found.extend(command_fns_in(&text).into_iter().map(|(name, is_async, line)| CommandFn { name, is_async, file: file.clone(), line }));
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// Each `#[tauri::command]` (or `#[command]`, arguments allowed) function in `text`: its name,
/// whether the signature between the attribute and `fn` says `async`, and the line of `fn`.
fn command_fns_in(text: &str) -> Vec<(String, bool, usize)> {
    let text = without_comment_lines(text);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(hash) = text[from..].find("#[").map(|i| from + i) {
        let attribute = text[hash + 2..].trim_start();
        from = hash + 2;
        let is_command =
            ["tauri::command", "command"].iter().any(|path| attribute.strip_prefix(path).is_some_and(|rest| rest.trim_start().starts_with([']', '('])));
        if !is_command {
            continue;
        }
        let end = hash + text[hash..].find(']').expect("an attribute is never closed") + 1;
        let Some(fn_at) = find_word(&text[end..], "fn").map(|i| end + i) else { break };
        let header = &text[end..fn_at];
        let name: String = text[fn_at + 2..].trim_start().chars().take_while(|&c| is_ident(c)).collect();
        let line = text[..fn_at].matches('\n').count() + 1;
        found.push((name, find_word(header, "async").is_some(), line));
        from = fn_at;
    }
    found
}

/// Where `word` first occurs in `text` as a whole word (not inside an identifier).
fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}
