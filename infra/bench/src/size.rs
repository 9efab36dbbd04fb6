//! Section 5: stripped binary and deployment zip (`bootstrap`, deflated) sizes.

use std::path::Path;
use std::process::Command;

pub struct Size {
    pub name: String,
    pub binary: u64,
    pub zip: u64,
}

pub fn run(bin_dir: &Path) -> Result<Vec<Size>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let mut names = vec!["hello-lambda"];
    names.extend(crate::journey::CASES.iter().map(|c| c.function));
    for name in names {
        let bin = bin_dir.join(name);
        let binary = std::fs::metadata(&bin)?.len();
        let zip = std::env::temp_dir().join(format!("{name}-{}.zip", ulid::Ulid::generate()));
        // Lambda wants the binary named bootstrap at the root of a deflated zip.
        let status = Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED, compresslevel=9); z.write(sys.argv[1], 'bootstrap'); z.close()",
            ])
            .arg(&bin)
            .arg(&zip)
            .status()?;
        if !status.success() {
            return Err(format!("zipping {name} failed").into());
        }
        let zipped = std::fs::metadata(&zip)?.len();
        let _ = std::fs::remove_file(&zip);
        out.push(Size {
            name: name.to_owned(),
            binary,
            zip: zipped,
        });
    }
    Ok(out)
}

pub fn print(rows: &[Size]) {
    println!("| binary | stripped | zip |");
    println!("|---|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.1} MiB | {:.1} MiB |",
            r.name,
            r.binary as f64 / 1048576.0,
            r.zip as f64 / 1048576.0
        );
    }
}
