//! Golden files: output compared byte for byte with a committed file under
//! `tests/fixtures/golden/`. `TRUEYAW_BLESS=1 cargo test --test it golden` rewrites them after an
//! intended change; review the diff (`git diff tests/fixtures/golden`) before committing it.

use std::path::PathBuf;

/// Directory of the committed golden files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

/// Asserts each `(name, actual)` equals the golden file `name`; with TRUEYAW_BLESS=1 writes
/// them instead. On a difference, the actual output is kept beside the test binaries and the
/// message shows, for every differing file, the first differing line and column.
pub fn assert_golden(outputs: &[(&str, String)]) {
    if std::env::var("TRUEYAW_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, actual) in outputs {
            std::fs::write(dir().join(name), actual).unwrap();
            eprintln!("blessed {}", dir().join(name).display());
        }
        return;
    }
    let failures: Vec<String> = outputs.iter().filter_map(|(name, actual)| difference(name, actual)).collect();
    assert!(
        failures.is_empty(),
        "{}\nif the change is intended: TRUEYAW_BLESS=1 cargo test --test it golden, then review \
         git diff tests/fixtures/golden",
        failures.join("\n")
    );
}

/// None when `actual` equals the golden file `name`, else what differs and where the actual
/// output was kept.
fn difference(name: &str, actual: &str) -> Option<String> {
    let path = dir().join(name);
    let expected = match std::fs::read_to_string(&path) {
        Ok(e) if e == actual => return None,
        Ok(e) => e,
        Err(e) => {
            return Some(format!("golden file {} unreadable ({e}); create it with TRUEYAW_BLESS=1", path.display()));
        }
    };
    let kept = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("golden").join(name);
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, actual).unwrap();
    Some(format!(
        "{name} differs from its golden file: {}\n  compare: diff -u {} {}",
        first_difference(&expected, actual),
        path.display(),
        kept.display()
    ))
}

/// Where `a` (expected) and `b` (actual) first differ: line, column and the text around it.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.split_inclusive('\n'), b.split_inclusive('\n'));
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => {
                let col = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
                let snip = |s: &str| -> String { s.chars().skip(col.saturating_sub(40)).take(120).collect() };
                return format!("line {n}, column {}:\n  expected: {:?}\n  actual:   {:?}", col + 1, snip(x), snip(y));
            }
            (x, y) => {
                return format!("line {n}: expected {:?}, actual {:?} (one output is longer)", x, y);
            }
        }
    }
    unreachable!()
}
