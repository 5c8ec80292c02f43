//! `huizong-samples`: writes the demo county workspace (`samples/示范县`),
//! or with `--townships N` a larger seeded workspace for benchmarks (see
//! `huizong::kit::samples`).

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "huizong-samples",
    about = "生成示例工作区(名册、区级评定、两个月的乡镇月报)"
)]
struct Args {
    /// 输出文件夹
    #[arg(long, default_value = "samples/示范县")]
    out: PathBuf,
    /// 乡镇(街道)个数;默认 8 个,并按 samples/README.md 加入示例错误;超过 40 个时生成市或省的工作区
    #[arg(long)]
    townships: Option<usize>,
    /// 随机种子(同一种子生成同样的数据)
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// 与 --townships 一起用:6 月的报表带有问题(每个乡镇都有提示,每七个有一个有错误)
    #[arg(long, requires = "townships")]
    findings: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let g =
        huizong::kit::samples::generate_with(&args.out, args.townships, args.seed, args.findings)?;
    eprintln!(
        "已生成示例工作区 {}:{} 个乡镇,{} 个村(社区)",
        args.out.display(),
        g.townships,
        g.villages
    );
    Ok(())
}
