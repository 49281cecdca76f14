//! `hashpin hash`: pip's `pip hash`, byte for byte in its output.

use anyhow::{Context as _, Result};

use crate::cli::HashArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::hash::{HashAlgorithm, Hasher};

/// Hashes each file and prints `<path>:` and `--hash=<algorithm>:<hex>`.
pub(crate) fn run(args: &HashArgs, context: &Context) -> Result<Status> {
    let algorithm = HashAlgorithm::from_name(&args.algorithm)
        .context("clap only lets pinnable algorithms through")?;
    for path in &args.files {
        if !path.is_file() {
            return Err(UsageError::new(format!(
                "`{}` does not exist or is not a file",
                path.display()
            ))
            .into());
        }
        let mut file = fs_err::File::open(path)?;
        let digests = Hasher::new([algorithm])
            .hash_reader(&mut file)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let digest = digests
            .get(algorithm)
            .context("the hasher computes the algorithm it was given")?;
        context
            .printer
            .out(&format!("{}:\n--hash={digest}\n", path.display()))?;
    }
    Ok(Status::Success)
}
