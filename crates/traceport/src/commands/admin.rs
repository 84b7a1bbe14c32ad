//! `traceport migrate`, `backup`, `restore` and `copy`: store administration for both
//! backends, all through [`store::Location`].

use std::io::{BufReader, BufWriter};
use std::path::Path;

use store::Location;

use crate::cli::CopyArgs;
use crate::config::DATABASE_FILE;
use crate::error::CliError;

/// Applies pending migrations and says which.
pub fn migrate(location: &Location) -> Result<(), CliError> {
    let applied = location.migrate()?;
    if applied.is_empty() {
        println!("{location}: schema up to date");
    } else {
        let versions: Vec<String> = applied.iter().map(i64::to_string).collect();
        println!("{location}: applied migrations {}", versions.join(", "));
    }
    Ok(())
}

/// Writes the dump to `file` (through a temporary file, so a failed backup leaves no
/// half-written file under the final name).
pub fn backup(location: &Location, file: &Path) -> Result<(), CliError> {
    if !location.exists() {
        return Err(CliError::Usage(format!("no store at {location}")));
    }
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(CliError::io(dir))?;
    let summary = {
        let mut out = BufWriter::new(tmp.as_file());
        location.backup(&mut out)?
    };
    tmp.persist(file).map_err(|e| CliError::io(file)(e.error))?;
    println!("backed up {location} to {} ({summary})", file.display());
    Ok(())
}

/// Loads a dump into the (empty) store.
pub fn restore(location: &Location, file: &Path) -> Result<(), CliError> {
    let input = std::fs::File::open(file).map_err(CliError::io(file))?;
    let summary = location.restore(&mut BufReader::new(input))?;
    println!("restored {} into {location} ({summary})", file.display());
    Ok(())
}

/// Copies the store into the target of `--to`.
pub fn copy(location: &Location, args: &CopyArgs) -> Result<(), CliError> {
    if !location.exists() {
        return Err(CliError::Usage(format!("no store at {location}")));
    }
    let target = if store::is_postgres_url(&args.to) {
        Location::Postgres(args.to.clone())
    } else {
        Location::Sqlite(Path::new(&args.to).join(DATABASE_FILE))
    };
    if target == *location {
        return Err(CliError::Usage("--to names the store being copied".into()));
    }
    let summary = location.copy_to(&target)?;
    println!("copied {location} to {target} ({summary})");
    Ok(())
}
