//! Files that hold Steward's data are readable by Steward's user alone.
//!
//! The database, its key store, their write-ahead logs and every backup hold what
//! businesses entrusted to Steward; created with the process's default mask they were
//! readable by every local user (0644). Folders Steward creates are 0700 and its files
//! 0600. SQLite gives a database's `-wal` and `-shm` files the mode of the database file,
//! so creating the database file private first is enough for them; files left by an
//! earlier version are narrowed at start.

use std::path::Path;

/// Creates `folder` (and its parents) readable by this user alone. A folder that exists
/// already is left as its owner set it: it may be shared (`/srv`), and the files in it
/// are private anyway.
pub fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    if folder.as_os_str().is_empty() || folder.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

/// Makes `file` readable and writable by this user alone, creating it empty if missing.
pub fn make_private_file(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(file)?);
    narrow(file)
}

/// Narrows an existing file to this user alone; a missing file is not an error.
pub fn narrow_if_present(file: &Path) -> std::io::Result<()> {
    match narrow(file) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
fn narrow(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn narrow(_file: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Makes an SQLite database file and its companions (`-wal`, `-shm`) private, creating
/// the database file if it does not exist yet.
pub fn make_private_database(database: &Path) -> std::io::Result<()> {
    make_private_file(database)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = database.as_os_str().to_owned();
        companion.push(suffix);
        narrow_if_present(Path::new(&companion))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn new_folders_and_files_are_private_and_old_files_are_narrowed() {
        // promise: SEC-2
        let root = std::env::temp_dir().join(format!("steward-private-{}", std::process::id()));
        let folder = root.join("data");
        create_private_folder(&folder).unwrap();
        assert_eq!(std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777, 0o700);
        let database = folder.join("x.db");
        let wal = folder.join("x.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private_database(&database).unwrap();
        for file in [&database, &wal] {
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{file:?}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
