//! The CPU side of hashpin, without a network: hashing, reading and editing requirements files,
//! and judging a lockfile. `cargo bench --bench core`; the end-to-end comparison with uv,
//! pip-compile and hashin is `tests/bench/run.py`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hashpin::bench;

fn hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("sha256");
    for size in [64 * 1024, 16 * 1024 * 1024] {
        let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &bytes, |b, bytes| {
            b.iter(|| bench::sha256_hex(black_box(bytes)));
        });
    }
    group.finish();
}

fn requirements(c: &mut Criterion) {
    let mut group = c.benchmark_group("requirements");
    group.sample_size(10);
    for entries in [5_000, 100_000] {
        let unlocked = bench::requirements_text(entries, false);
        let locked = bench::requirements_text(entries, true);
        group.throughput(Throughput::Elements(entries as u64));
        group.bench_with_input(
            BenchmarkId::new("parse-locked", entries),
            &locked,
            |b, text| {
                b.iter(|| assert_eq!(bench::parse(black_box(text)), entries));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("lock-edit", entries),
            &unlocked,
            |b, text| {
                b.iter(|| bench::lock_edit(black_box(text)));
            },
        );
    }
    group.finish();
}

fn judging(c: &mut Criterion) {
    let mut group = c.benchmark_group("judge");
    group.sample_size(10);
    // 10,000 entries of 2 files, and 100 releases of 80 files (numpy's size): every recorded
    // file served with its recorded bytes, all verified.
    for (entries, files) in [(10_000, 2), (100, 80)] {
        let judging = bench::Judging::new(entries, files);
        assert_eq!(judging.judge_all(), entries * files);
        group.throughput(Throughput::Elements((entries * files) as u64));
        group.bench_function(
            BenchmarkId::new("relock", format!("{entries}x{files}")),
            |b| {
                b.iter(|| judging.judge_all());
            },
        );
    }
    group.finish();
}

criterion_group!(benches, hashing, requirements, judging);
criterion_main!(benches);
