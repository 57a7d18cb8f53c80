//! Rows of the packages a build makes: a library to go without that configure.ac does not know
//! or that a chosen module needs, and trees whose metadata would name a subpackage twice.

use std::path::Path;

use super::*;

/// A copy of the git tree with one more optional library (configure.ac's VAR and option) and a
/// module that needs it.
fn tree_with_library(w: &World, row: &Path, var: &str, option: &str) -> PathBuf {
    let tree = copy_of(&w.tree, row);
    sh(
        &tree,
        &format!(
            "echo 'AST_EXT_LIB_SETUP([{var}], [a library], [{option}])' >> configure.ac
             printf '/*** MODULEINFO\\n\\t<depend>{option}</depend>\\n ***/\\n' > res/res_mini_{option}.c"
        ),
    );
    tree
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "--without-library naming a library configure.ac does not know",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--without-library", "libnope"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 2,
            says: "--without-library libnope: configure.ac declares no optional library so named (AST_EXT_LIB_SETUP names MATHLIB NOSUCHLIB PGSQL UNIXODBC PJPROJECT LIBJWT)",
            engine: false,
        },
        Row {
            name: "--without-library with --enable of a module that needs it",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(
                        &w.tree,
                        &w.out,
                        &["--enable", "cdr_mini_pgsql", "--without-library", "postgres"],
                    ),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "--enable cdr_mini_pgsql needs PGSQL, which --without-library leaves out: drop one of the two",
            engine: false,
        },
        Row {
            name: "a tree whose library would name a package the build has (asterisk-devel)",
            setup: Box::new(|w, row| {
                let tree = tree_with_library(w, row, "DEVEL", "devel");
                attempt(rpm(&tree, &w.out, &[]), &[&tree, &w.out])
            }),
            code: 1,
            says: "the tree's metadata names a subpackage asterisk-devel, a name the build already has, for the library DEVEL (res_mini_devel)",
            engine: false,
        },
        Row {
            name: "a tree whose library is named as a family's subpackage (PJSIP and pjproject's asterisk-pjsip)",
            setup: Box::new(|w, row| {
                let tree = tree_with_library(w, row, "PJSIP", "pjsip");
                attempt(rpm(&tree, &w.out, &[]), &[&tree, &w.out])
            }),
            code: 1,
            says: "the tree's metadata names the subpackage asterisk-pjsip twice: for the pjsip family of libraries (res_pjsip_mini) and for the library PJSIP (res_mini_pjsip)",
            engine: false,
        },
    ]
}
