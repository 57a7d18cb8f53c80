//! What a build tells its user before it starts, beside the tree, spec and bundled lines
//! `BuildInputs::gather` says as it finds them: its choices, the fast packaging of a dev build,
//! the libraries added or left out, and the subpackages the tree's MODULEINFO makes.

use super::options::Options;
use super::spec;
use super::subpackages::Split;
use crate::plan::options;

/// The build's choices and the subpackages they make, said before it starts.
/// `cost`: what `--without-library` leaves out, modules and packages.
pub fn announce(o: &Options, split: &Split, cost: &(Vec<String>, Vec<String>)) {
    let mut said = Vec::new();
    if o.dev {
        said.push(format!("--dev ({})", options::DEV_MENUSELECT));
    }
    said.extend(
        o.choices
            .iter()
            .map(|c| format!("{} {}", c.flag(), c.name())),
    );
    if let Some((path, _)) = &o.menuselect_file {
        said.push(format!("starting from {path}"));
    }
    said.extend(o.configure_args.iter().map(|a| format!("configure {a}")));
    if !said.is_empty() {
        eprintln!("options: {}", said.join(", "));
    }
    if spec::fast_packaging(o) {
        eprintln!(
            "packaging: fast, for trying (no debuginfo, zstd or gzip level 1); \
             release builds keep the distribution's defaults"
        );
    }
    if !o.named_libraries.is_empty() {
        eprintln!(
            "libraries: also built with {} (the modules you selected need them)",
            o.named_libraries.join(", ")
        );
    }
    if !o.without_libraries.is_empty() {
        let (modules, packages) = cost;
        eprintln!(
            "libraries: without {} (--without-library): {}{}",
            o.without_libraries.join(", "),
            match modules.is_empty() {
                true => "no module of this build needs it".to_string(),
                false => format!("leaves out {}", modules.join(" ")),
            },
            match packages.is_empty() {
                true => String::new(),
                false => format!(", and with them {}", packages.join(", ")),
            }
        );
    }
    if !split.packages.is_empty() {
        let listed: Vec<String> = split
            .packages
            .iter()
            .map(|p| format!("{} ({})", p.name, p.modules.len()))
            .collect();
        eprintln!(
            "subpackages: {} from the tree's MODULEINFO: {}",
            split.packages.len(),
            listed.join(", ")
        );
        let unfamiliar: Vec<String> = split
            .packages
            .iter()
            .filter(|p| p.unfamiliar)
            .map(|p| format!("{} (for {})", p.name, p.libraries.join(", ")))
            .collect();
        if !unfamiliar.is_empty() {
            eprintln!(
                "subpackages: named after their library, no family having it: {}",
                unfamiliar.join(", ")
            );
        }
    }
    if !o.left_out.is_empty() {
        let names: Vec<&str> = o.left_out.iter().map(|l| l.option.as_str()).collect();
        eprintln!(
            "libraries: configure goes without {} optional libraries the spec does not build with ({}{})",
            names.len(),
            names.iter().take(8).copied().collect::<Vec<_>>().join(", "),
            if names.len() > 8 { ", ..." } else { "" }
        );
    }
}
