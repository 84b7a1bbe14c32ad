//! The binary's errors: each one a message a user can act on; `main` prints it and exits non-zero.

use std::path::PathBuf;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration file cannot be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has unknown keys.
    #[error("invalid configuration file {}: {source}", path.display())]
    ConfigParse {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the TOML error is large).
        source: Box<toml::de::Error>,
    },
    /// A file or directory operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The store cannot be opened.
    #[error("cannot open the store {location}: {source}")]
    OpenStore {
        /// The database file or (password-free) URL.
        location: String,
        /// Why.
        source: store::StoreError,
    },
    /// A store operation failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// A query parameter is wrong.
    #[error(transparent)]
    Query(#[from] epcis::query::QueryParamError),
    /// A document that must be valid is not (demo or generated data).
    #[error("{what}: {message}")]
    Document {
        /// Which document.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP service stopped with an error.
    #[error("server: {0}")]
    Serve(std::io::Error),
    /// Some files of an import failed (details were printed per file).
    #[error("{failed} of {total} files were not fully imported")]
    ImportFailed {
        /// Files with errors.
        failed: usize,
        /// Files given.
        total: usize,
    },
    /// The benchmark could not run or saw a wrong answer.
    #[error("bench: {0}")]
    Bench(String),
    /// A conversion stopped (bad input, or an event with no form in the target binding).
    #[error("convert {}: {source}", path.display())]
    Convert {
        /// The input.
        path: PathBuf,
        /// Why.
        source: epcis::convert::ConvertError,
    },
    /// Bad usage not caught by the argument parser.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}
