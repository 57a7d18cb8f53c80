//! The command line: every command's parser, each its stage's (`plan::rpm_flags`,
//! `runtime_image::flags`, ...), composed with bpaf with its description; before bpaf, the two
//! checks bpaf would word wrongly (an empty `--unit-tests=`, `--native` with `--container`) and
//! the joining of `--configure-arg --with-x` (a value that starts with `--`). Errors are one
//! line. Parsing only types what was said, and checks values (ranges, tags, port
//! ranges) before anything runs; what the flags mean on this machine is decided in `plan`.

use anyhow::Result;
use bpaf::{construct, OptionParser, ParseFailure, Parser};

use crate::bundled::FetchFlags;
use crate::container::boot_test::SmokeFlags;
use crate::container::dev_container::RunFlags;
use crate::container::runtime_image::ImageFlags;
use crate::machine::DoctorFlags;
use crate::measure::BenchFlags;
use crate::plan::flag::Usage;
use crate::plan::options;
use crate::plan::RpmFlags;

#[derive(Debug)]
pub enum Command {
    /// Help or the version, to print on stdout.
    Print(String),
    Rpm(RpmFlags),
    Image(ImageFlags),
    Run(RunFlags),
    Smoke(SmokeFlags),
    Fetch(FetchFlags),
    Doctor(DoctorFlags),
    Bench(BenchFlags),
}

pub fn parse(args: &[String]) -> Result<Command> {
    let words: Vec<&str> = match args.len() {
        0 => vec!["--help"],
        _ => args.iter().map(String::as_str).collect(),
    };
    let words = options::join_configure_args(&words);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // What bpaf would misread, said by the concern whose flags they are.
    let misread = [
        crate::container::boot_test::misread_words(&words),
        crate::plan::place::misread_words(&words),
    ];
    if let Some(why) = misread.into_iter().flatten().next() {
        return Err(Usage(usage_line(why, words.first().copied())).into());
    }
    match options().run_inner(words.as_slice()) {
        Ok(command) => Ok(command),
        Err(ParseFailure::Stdout(doc, full)) => Ok(Command::Print(doc.monochrome(full))),
        Err(ParseFailure::Completion(text)) => Ok(Command::Print(text)),
        Err(ParseFailure::Stderr(doc)) => {
            Err(Usage(usage_line(&doc.monochrome(false), words.first().copied())).into())
        }
    }
}

/// The commands, for the help a usage error points at (and the tests that read every help).
pub const COMMANDS: [&str; 7] = ["rpm", "image", "run", "smoke", "fetch", "doctor", "bench"];

/// bpaf's message as one line (it wraps long ones), our own checks' messages as they are, and
/// where to look.
fn usage_line(text: &str, command: Option<&str>) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // `couldn't parse `99999`: --jobs takes ...`: our message already names the value.
    // (bpaf may wrap a long value, so the quote can be followed by a space before the colon.)
    let ours = line
        .strip_prefix("couldn't parse `")
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(_, after)| after.trim_start().strip_prefix(':'))
        .map(|ours| ours.trim().to_string());
    let line = ours.filter(|o| !o.is_empty()).unwrap_or(line);
    match command.filter(|c| COMMANDS.contains(c)) {
        Some(c) => format!("{line} (cargo xtask {c} --help)"),
        None => format!("{line} (cargo xtask --help)"),
    }
}

/// The whole command line: one of `COMMANDS`.
pub fn options() -> OptionParser<Command> {
    let rpm = crate::plan::rpm_flags()
        .to_options()
        .descr("Pack the working tree into a source archive and build RPMs from it with the in-tree spec")
        .usage("Usage: cargo xtask rpm [flags]")
        .command("rpm")
        .help("Pack the working tree and build RPMs from it with the in-tree spec")
        .map(Command::Rpm);
    let image = crate::container::runtime_image::flags()
        .to_options()
        .descr("Build a runtime image from the RPMs of the working tree (building them first when needed); takes every flag of rpm")
        .usage("Usage: cargo xtask image [flags]")
        .command("image")
        .help("Build a runtime image from the RPMs of the working tree")
        .map(Command::Image);
    let run = crate::container::dev_container::flags()
        .to_options()
        .descr("Build what is not up to date, make (or reuse) the image, start it with SIP and RTP on 127.0.0.1, wait until it is healthy and attach Asterisk's console; leaving the console or Ctrl-C removes the container. Takes every flag of rpm and image")
        .usage("Usage: cargo xtask run [flags]")
        .command("run")
        .help("Your patched Asterisk, running, with its console in your terminal")
        .map(Command::Run);
    let smoke = crate::container::boot_test::flags()
        .to_options()
        .descr(
            "Start an image, wait until it is healthy, and check that it answers with its version",
        )
        .usage("Usage: cargo xtask smoke [flags]")
        .command("smoke")
        .help("Check that an image boots, answers with its version and stops cleanly")
        .map(Command::Smoke);
    let fetch = crate::bundled::fetch_flags()
        .to_options()
        .descr("Bring the third-party tarballs the tree bundles (pjproject, libjwt) into the download cache, verified against the tree's md5")
        .usage("Usage: cargo xtask fetch [flags]")
        .command("fetch")
        .help("Fetch and verify the third-party tarballs the tree bundles, for builds without network")
        .map(Command::Fetch);
    let doctor = crate::machine::flags()
        .to_options()
        .descr("Check what each command needs on this machine (rpmbuild, the engine and BuildKit, podman's catatonit, disk space, SELinux, network) and print the fix for what is missing")
        .usage("Usage: cargo xtask doctor [flags]")
        .command("doctor")
        .help("Check this machine for what each command needs, and say how to fix what is missing")
        .map(Command::Doctor);
    let bench = crate::measure::flags()
        .to_options()
        .descr("Measure the contributor's loop on a scratch copy of the tree: a clean build, a no-op, a one-line patch, and the source archive against git archive; medians and ratios, bench.json and bench.svg")
        .usage("Usage: cargo xtask bench [flags]")
        .command("bench")
        .help("Measure clean build, no-op, patch loop and archive side by side")
        .map(Command::Bench);
    construct!([rpm, image, run, smoke, fetch, doctor, bench])
        .to_options()
        .descr("Build RPMs and container images of an Asterisk working tree.")
        .usage("Usage: cargo xtask <command> [flags]")
        .footer("`cargo xtask <command> --help` lists a command's flags.")
        .version(concat!("xtask ", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests;
