//! What the smoke test asks a running image beyond its version: that every shipped module
//! loaded (or declined for a reason other than a missing library or symbol), and, on a `--dev`
//! image, Asterisk's own unit tests.
//!
//! The readings of `module show`, of the loader's log lines and of `test execute` are pure
//! functions with table tests; the steps that ask the container are below them.

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

use crate::infra::engine::Engine;

/// Why a module did not load, as the loader logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NotLoaded {
    /// A shared library it needs is not in the image: a Requires the package lacks, or a
    /// library the runtime base does not have.
    MissingLibrary(String),
    /// A symbol it needs is in no loaded library or module.
    MissingSymbol(String),
    /// Any other reason (declined, a module it needs declined, configuration): not the package's
    /// fault.
    Other(String),
}

/// The modules `module show` lists as loaded (`app_dial.so  Dialing Application  0 Running ...`).
fn loaded_modules(module_show: &str) -> Vec<String> {
    module_show
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| w.strip_suffix(".so"))
        .map(str::to_string)
        .collect()
}

/// The modules a log says failed to load, with why: Asterisk's loader writes
/// `Error loading module 'cdr_pgsql.so': libpq.so.5: cannot open shared object file: ...`.
fn load_failures(log: &str) -> Vec<(String, NotLoaded)> {
    let mut out: Vec<(String, NotLoaded)> = Vec::new();
    for line in log.lines() {
        let Some((_, rest)) = line.split_once("Error loading module '") else {
            continue;
        };
        let Some((file, reason)) = rest.split_once('\'') else {
            continue;
        };
        let module = file.trim_end_matches(".so").to_string();
        let reason = reason.trim_start_matches([',', ':', ' ']).trim();
        let why = if let Some((before, _)) = reason.split_once(": cannot open shared object file") {
            // `libpq.so.5`, or `/path/to/module.so: libpq.so.5`: the last name before it.
            let library = before.rsplit(": ").next().unwrap_or(before);
            NotLoaded::MissingLibrary(library.rsplit('/').next().unwrap_or(library).to_string())
        } else if let Some((_, symbol)) = reason.split_once("undefined symbol: ") {
            NotLoaded::MissingSymbol(symbol.split_whitespace().next().unwrap_or("").to_string())
        } else {
            NotLoaded::Other(reason.to_string())
        };
        if !out.iter().any(|(m, _)| *m == module) {
            out.push((module, why));
        }
    }
    out
}

/// The shipped modules that cannot load for a missing library or symbol, in words: one phrase
/// per missing library or symbol, naming the modules it stops.
fn broken_modules(
    shipped: &[String],
    loaded: &[String],
    failures: &[(String, NotLoaded)],
) -> Vec<String> {
    let mut by_cause: Vec<(String, Vec<&str>)> = Vec::new();
    for m in shipped.iter().filter(|m| !loaded.contains(m)) {
        let cause = match failures.iter().find(|(f, _)| f == m).map(|(_, w)| w) {
            Some(NotLoaded::MissingLibrary(lib)) => format!("{lib} is not in the image"),
            Some(NotLoaded::MissingSymbol(sym)) => {
                format!("the symbol {sym} is in nothing they load with")
            }
            _ => continue,
        };
        match by_cause.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, modules)) => modules.push(m),
            None => by_cause.push((cause, vec![m])),
        }
    }
    by_cause
        .into_iter()
        .map(|(cause, modules)| format!("{} cannot load: {cause}", modules.join(", ")))
        .collect()
}

/// The counts of `N Test(s) Executed  P Passed  F Failed`.
fn test_summary(output: &str) -> Option<(u32, u32, u32)> {
    output.lines().rev().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [n, "Test(s)", "Executed", p, "Passed", f, "Failed"] => {
                Some((n.parse().ok()?, p.parse().ok()?, f.parse().ok()?))
            }
            _ => None,
        }
    })
}

/// Text without the terminal's colour codes (`ESC [ ... m`, what Asterisk's term_color adds).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The tests that failed, each with its last message: between `START  /main/x/ - name` and
/// `END    /main/x/ - name Time: 1ms Result: FAIL` (coloured), Asterisk prints the test's
/// `[file:function:line]: message` lines.
fn failed_tests(output: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut said: Vec<String> = Vec::new();
    for line in strip_ansi(output).lines() {
        let line = line.trim();
        if line.starts_with("START ") {
            said.clear();
        } else if let Some(rest) = line.strip_prefix("END ") {
            if rest.trim_end().ends_with("Result: FAIL") {
                let name = rest
                    .split(" Time:")
                    .next()
                    .unwrap_or(rest)
                    .trim()
                    .to_string();
                let message = said.last().cloned().unwrap_or_else(|| "no message".into());
                out.push((name, message));
            }
            said.clear();
        } else if line.starts_with('[') {
            if let Some((_, message)) = line.split_once("]: ") {
                said.push(message.trim().to_string());
            }
        }
    }
    out
}

/// `test execute all`, or `test execute category C`.
pub fn unit_test_command(category: &str) -> String {
    match category.trim() {
        "" | "all" => "test execute all".to_string(),
        c => format!("test execute category {c}"),
    }
}

/// Runs a command in the container and returns what it printed.
fn exec(engine: &Engine, container: &str, args: &[&str]) -> Result<String> {
    engine
        .cmd()
        .args(["exec", container])
        .args(args.iter().copied())
        .read()
}

/// The running Asterisk's answer to a CLI `command` (`asterisk -rx`).
pub fn asterisk(engine: &Engine, container: &str, command: &str) -> Result<String> {
    exec(engine, container, &["/usr/sbin/asterisk", "-rx", command])
        .with_context(|| format!("asking the running Asterisk `{command}`"))
}

/// Every module the image's packages ship is loaded, or did not load for a reason that is not a
/// missing library or symbol. Says what it saw.
pub fn modules(engine: &Engine, container: &str, tag: &str) -> Result<()> {
    let files = match exec(engine, container, &["rpm", "-qla"]) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("  modules: not checked: the image cannot list its packages' files ({e:#})");
            return Ok(());
        }
    };
    let shipped = crate::outputs::build_record::modules_of(&files);
    let loaded = loaded_modules(&asterisk(engine, container, "module show")?);
    // The loader's errors go to the console (the container's log) and to messages.log.
    let mut log = String::new();
    let logs = engine.cmd().args(["logs", container]);
    let _ = logs.run(|line| {
        log.push_str(line);
        log.push('\n');
    });
    if let Ok(files) = exec(
        engine,
        container,
        &[
            "sh",
            "-c",
            "cat /var/log/asterisk/messages.log /var/log/asterisk/messages 2>/dev/null; true",
        ],
    ) {
        log.push_str(&files);
    }
    let failures = load_failures(&log);
    let broken = broken_modules(&shipped, &loaded, &failures);
    let not_loaded: Vec<&String> = shipped.iter().filter(|m| !loaded.contains(m)).collect();
    eprintln!(
        "  modules: {} shipped, {} loaded, {} not loaded{}",
        shipped.len(),
        shipped.iter().filter(|m| loaded.contains(m)).count(),
        not_loaded.len(),
        if not_loaded.is_empty() || !broken.is_empty() {
            String::new()
        } else {
            format!(
                " (declined or not configured, none for a missing library: {})",
                not_loaded
                    .iter()
                    .take(8)
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    );
    if !broken.is_empty() {
        bail!(
            "the smoke test of {tag} failed: {} (a Requires the package lacks, or a library the \
             runtime base does not have)",
            broken.join("; ")
        );
    }
    Ok(())
}

/// Runs the unit tests of `category` (all when empty) in the running container, prints the
/// summary, copies Asterisk's JUnit XML to `results`, and fails when a test fails or none ran.
pub fn unit_tests(
    engine: &Engine,
    container: &str,
    tag: &str,
    category: &str,
    results: &Utf8Path,
) -> Result<(u32, u32, u32)> {
    let command = unit_test_command(category);
    eprintln!("  unit tests: {command}");
    let mut output = String::new();
    engine
        .cmd()
        .args(["exec", container, "/usr/sbin/asterisk", "-rx", &command])
        .run(|line| {
            output.push_str(line);
            output.push('\n');
            let t = line.trim_start();
            let t = strip_ansi(t);
            if t.starts_with("END") && t.trim_end().ends_with("FAIL")
                || t.starts_with("Running all")
            {
                eprintln!("    {}", line.trim());
            }
        })
        .with_context(|| format!("running `{command}` in {tag}"))?;
    let inside = "/var/log/asterisk/xtask-unit-tests.xml";
    let said = asterisk(
        engine,
        container,
        &format!("test generate results xml {inside}"),
    )?;
    if !said.contains("Results Generated Successfully") {
        bail!("Asterisk in {tag} wrote no test results: {}", said.trim());
    }
    let part = Utf8Path::new(results.as_str()).with_extension("xml.part");
    engine
        .cmd()
        .args(["cp", &format!("{container}:{inside}"), part.as_str()])
        .read()
        .with_context(|| format!("copying the test results out of {tag}"))?;
    std::fs::rename(&part, results).with_context(|| format!("writing {results}"))?;
    let Some((executed, passed, failed)) = test_summary(&output) else {
        bail!("`{command}` in {tag} printed no summary: {}", output.trim());
    };
    eprintln!("    {executed} Test(s) Executed  {passed} Passed  {failed} Failed");
    eprintln!("  unit tests: results in {results}");
    if executed == 0 {
        bail!("no unit test of {tag} matches '{category}': `test show registered all` in the container lists them");
    }
    if failed > 0 {
        let named: Vec<String> = failed_tests(&output)
            .into_iter()
            .map(|(name, message)| format!("{name} ({message})"))
            .collect();
        bail!(
            "{failed} of {executed} unit tests failed in {tag}: {} (results in {results})",
            match named.is_empty() {
                true => "their names were not in the output".to_string(),
                false => named.join("; "),
            }
        );
    }
    Ok((executed, passed, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_show_rows() {
        let show = "Module                         Description                              Use Count  Status      Support Level\n\
            app_dial.so                    Dialing Application                      0          Running              core\n\
            res_pjsip.so                   Basic SIP resource                       12         Running              core\n\
            2 modules loaded\n";
        assert_eq!(loaded_modules(show), ["app_dial", "res_pjsip"]);
    }

    #[test]
    fn loader_errors() {
        let log = "[Nov 30 10:00:00] ERROR[1] loader.c: Error loading module 'cdr_pgsql.so': libpq.so.5: cannot open shared object file: No such file or directory\n\
            [Nov 30 10:00:00] ERROR[1] loader.c: Error loading module 'res_x.so': /usr/lib64/asterisk/modules/res_x.so: undefined symbol: ast_foo\n\
            [Nov 30 10:00:00] ERROR[1] loader.c: Error loading module 'res_y.so', missing dependency: res_pjsip\n\
            [Nov 30 10:00:00] ERROR[1] loader.c: Error loading module 'res_z.so': /usr/lib64/asterisk/modules/res_z.so: libfoo.so.1: cannot open shared object file: No such file or directory\n\
            [Nov 30 10:00:00] ERROR[1] loader.c: Error loading module 'cdr_pgsql.so': again\n\
            [Nov 30 10:00:00] NOTICE[1] loader.c: 300 modules will be loaded.\n";
        assert_eq!(
            load_failures(log),
            vec![
                (
                    "cdr_pgsql".into(),
                    NotLoaded::MissingLibrary("libpq.so.5".into())
                ),
                ("res_x".into(), NotLoaded::MissingSymbol("ast_foo".into())),
                (
                    "res_y".into(),
                    NotLoaded::Other("missing dependency: res_pjsip".into())
                ),
                (
                    "res_z".into(),
                    NotLoaded::MissingLibrary("libfoo.so.1".into())
                ),
            ]
        );
        let shipped: Vec<String> = [
            "app_dial",
            "cdr_pgsql",
            "res_x",
            "res_y",
            "chan_dahdi",
            "res_z",
            "cel_pgsql",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let loaded = vec!["app_dial".to_string()];
        let log = format!("{log}ERROR[1] loader.c: Error loading module 'cel_pgsql.so': libpq.so.5: cannot open shared object file: No such file or directory\n");
        let broken = broken_modules(&shipped, &loaded, &load_failures(&log));
        assert_eq!(
            broken,
            [
                "cdr_pgsql, cel_pgsql cannot load: libpq.so.5 is not in the image",
                "res_x cannot load: the symbol ast_foo is in nothing they load with",
                "res_z cannot load: libfoo.so.1 is not in the image",
            ]
        );
    }

    #[test]
    fn test_runs() {
        let out = "Running all available tests matching category /main/strings/\n\n\
            START  /main/strings/ - join \n\
            END    /main/strings/ - join Time: <1ms Result: \u{1b}[1;32mPASS\u{1b}[0m\n\
            START  /main/strings/ - fails \n\
            [test_strings.c:fails:12]: first\n\
            [test_strings.c:fails:14]: the string was 'ab', not 'abcd'\n\
            END    /main/strings/ - fails Time: 2ms Result: \u{1b}[1;31mFAIL\u{1b}[0m\n\
            START  /main/config/ - config_save \n\
            END    /main/config/ - config_save Time: 5ms Result: FAIL\n\n\
            3 Test(s) Executed  1 Passed  2 Failed\n";
        assert_eq!(test_summary(out), Some((3, 1, 2)));
        assert_eq!(
            failed_tests(out),
            [
                (
                    "/main/strings/ - fails".to_string(),
                    "the string was 'ab', not 'abcd'".to_string()
                ),
                (
                    "/main/config/ - config_save".to_string(),
                    "no message".to_string()
                ),
            ]
        );
        assert_eq!(strip_ansi("a\u{1b}[1;31mFAIL\u{1b}[0m b"), "aFAIL b");
        assert_eq!(
            test_summary("--- No Tests Found! ---\n\n0 Test(s) Executed  0 Passed  0 Failed\n"),
            Some((0, 0, 0))
        );
        assert_eq!(test_summary("No such command 'test execute all'\n"), None);
        assert_eq!(unit_test_command(""), "test execute all");
        assert_eq!(
            unit_test_command("/main/strings/"),
            "test execute category /main/strings/"
        );
    }
}
