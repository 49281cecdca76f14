//! What changed inside an archive (placeholder; being written).
