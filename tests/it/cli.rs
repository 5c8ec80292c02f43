//! The command line as a clerk meets it: help wholly in Chinese with
//! examples, `help <命令>`, files dropped on the program, `check`'s lines,
//! the lock-file message, `init`, and the README's walkthrough run as
//! written.

use crate::common::{copy_samples, project, require_program, stderr, stdout, Workdir};

const COMMANDS: [&str; 7] = [
    "template",
    "check",
    "consolidate",
    "tiers",
    "init",
    "accounts",
    "serve",
];

#[test]
fn help_is_wholly_chinese_with_examples() {
    let w = Workdir::new();
    // Words a help page may show: the program, its commands, file endings
    // and --format's values; flags and file names are taken out first.
    let allowed = [
        "huizong",
        "template",
        "check",
        "consolidate",
        "tiers",
        "init",
        "accounts",
        "serve",
        "help",
        "xlsx",
        "toml",
        "json",
        "JSON",
        "text",
        // The service: the county's login name, web addresses, HTTPS and
        // its certificate format.
        "county",
        "http",
        "https",
        "HTTPS",
        "PEM",
        "pem",
    ];
    let flag = regex_lite(r"--[a-z-]+");
    for args in std::iter::once(vec!["--help"]).chain(COMMANDS.map(|c| vec![c, "--help"])) {
        let o = w.run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let help = stdout(&o);
        assert!(help.contains("用法:huizong"), "{help}");
        let words = english_words(&flag(&help));
        let stray: Vec<&String> = words
            .iter()
            .filter(|x| !allowed.contains(&x.as_str()))
            .collect();
        assert!(
            stray.is_empty(),
            "{args:?}: English words {stray:?} in\n{help}"
        );
        if args.len() == 2 {
            assert!(
                help.contains("\n示例:\n  huizong "),
                "{args:?} shows examples:\n{help}"
            );
        }
    }
    // `help <命令>` is `<命令> --help`.
    assert_eq!(
        stdout(&w.run(&["help", "check"])),
        stdout(&w.run(&["check", "--help"]))
    );
}

/// A crude stand-in for a regex replace: drop `--flag` words.
fn regex_lite(_: &str) -> impl Fn(&str) -> String {
    |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("--") {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 2..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
                .unwrap_or(tail.len());
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
}

/// ASCII words of two letters or more, file names left out.
fn english_words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || "._/-".contains(c)))
        .filter(|t| !(t.ends_with(".toml") || t.ends_with(".xlsx") || t.ends_with(".json")))
        .flat_map(|t| t.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|t| t.len() >= 2)
        .map(str::to_string)
        .collect()
}

#[test]
fn a_dropped_file_is_checked_with_its_feedback_beside_it() {
    let w = Workdir::new();
    let file = w.path("南浦街道_2024-06.xlsx");
    std::fs::copy(
        project("samples/示范县/2024-06/南浦街道_2024-06.xlsx"),
        &file,
    )
    .unwrap();
    // Without a terminal (stdin closed): the result, then it waits for Enter.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg(&file)
        .current_dir(w.root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    let fb = w.path("南浦街道_2024-06_校验结果.xlsx");
    assert!(fb.is_file(), "feedback beside the file");
    assert!(
        out.starts_with("南浦街道_2024-06.xlsx(南浦街道 990101108):错误 1 个,提示 1 个\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!("  反馈工作簿:{}\n", fb.display())),
        "{out}"
    );
    assert!(out.ends_with("按回车键关闭窗口…"), "{out}");
    // Nothing given, no terminal: the first steps, then the wait.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
        .current_dir(w.root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(out.contains("把填好的月报文件拖到本程序的图标上"), "{out}");
    assert!(out.ends_with("按回车键关闭窗口…"), "{out}");
    // From a terminal (a pseudo-terminal by `script`): no wait.
    if !require_program("script") {
        return;
    }
    let o = std::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{} {}",
            env!("CARGO_BIN_EXE_huizong"),
            file.display()
        ))
        .arg("/dev/null")
        .current_dir(w.root())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("反馈工作簿:"), "{out}");
    assert!(!out.contains("按回车键关闭窗口"), "{out}");
}

#[test]
fn check_names_villages_confirms_clean_files_and_totals() {
    let w = Workdir::new();
    let june = project("samples/示范县/2024-06");
    let roster = project("samples/示范县/roster.xlsx");
    let o = w.run(&[
        "check",
        june.join("南浦街道_2024-06.xlsx").to_str().unwrap(),
        june.join("白砂镇_2024-06.xlsx").to_str().unwrap(),
        "--period",
        "2024-06",
        "--roster",
        roster.to_str().unwrap(),
        "--feedback",
        "反馈",
    ]);
    assert_eq!(
        stdout(&o),
        "南浦街道_2024-06.xlsx(南浦街道 990101108):错误 1 个,提示 1 个
  功能室!D5(990101108203 头埠社区)  M01  错误  办公用房数 2 + 服务用房数 6 = 8,不等于房间总数 7。请核对
  坐班值守!F9(990101108207 田梅社区)  D05  提示  未配备党群服务中心专管员,请落实专管员;已配备的请填写人数
  反馈工作簿:反馈/南浦街道_2024-06_校验结果.xlsx
白砂镇_2024-06.xlsx(白砂镇 990101101):未发现问题
  (没有问题,不需要反馈工作簿)
共校验 2 个文件:未发现问题 1 个,有错误 1 个;错误 1 个,提示 1 个
"
    );
    // C03 under check names the flag, not a consolidation.
    let o = w.run(&[
        "check",
        june.join("白砂镇_2024-06.xlsx").to_str().unwrap(),
        "--period",
        "2024-05",
    ]);
    assert!(
        stdout(&o).contains(
            "  基本信息!B6  C03  无法读取  文件的填报期间是 2024-06,而 --period 指定的是 2024-05。"
        ),
        "{}",
        stdout(&o)
    );
    // Excel's lock file: close the file, check the real one.
    std::fs::copy(
        june.join("白砂镇_2024-06.xlsx"),
        w.path("白砂镇_2024-06.xlsx"),
    )
    .unwrap();
    std::fs::write(w.path("~$砂镇_2024-06.xlsx"), b"lock").unwrap();
    let o = w.run(&["check", "~$砂镇_2024-06.xlsx"]);
    assert_eq!(
        stdout(&o),
        "~$砂镇_2024-06.xlsx:错误 1 个,提示 0 个
  —  S01  无法读取  这是 Excel 或 WPS 打开“白砂镇_2024-06.xlsx”时临时生成的锁定文件,不是月报。请在 Excel 或 WPS 中关闭“白砂镇_2024-06.xlsx”,然后校验“白砂镇_2024-06.xlsx”本身
"
    );
}

#[test]
fn check_gives_files_of_one_name_each_their_own_feedback() {
    let w = Workdir::new();
    // The unreadable scan, sent once as .xlsx and once as .xls.
    let scan = project("samples/示范县/2024-06/枫岭乡_2024-06.xlsx");
    std::fs::copy(&scan, w.path("枫岭乡_2024-06.xlsx")).unwrap();
    std::fs::copy(&scan, w.path("枫岭乡_2024-06.xls")).unwrap();
    let o = w.run(&[
        "check",
        "枫岭乡_2024-06.xls",
        "枫岭乡_2024-06.xlsx",
        "--feedback",
        "反馈",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("  反馈工作簿:反馈/枫岭乡_2024-06.xls_校验结果.xlsx\n")
            && out.contains("  反馈工作簿:反馈/枫岭乡_2024-06.xlsx_校验结果.xlsx\n"),
        "{out}"
    );
    let mut written: Vec<String> = std::fs::read_dir(w.path("反馈"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "枫岭乡_2024-06.xls_校验结果.xlsx",
            "枫岭乡_2024-06.xlsx_校验结果.xlsx"
        ]
    );
}

#[test]
fn check_piped_into_a_reader_that_stops_early_still_does_the_whole_job() {
    use std::process::{Command, Stdio};
    let w = Workdir::new();
    let june = project("samples/示范县/2024-06");
    // The reader is gone before the first line (as `| head -0`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .args(["check", june.to_str().unwrap(), "--feedback", "反馈"])
        .current_dir(w.path("."))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    // No bare system error; the exit code still says errors were found,
    // and every file with findings has its feedback workbook.
    assert_eq!(stderr(&o), "");
    assert_eq!(o.status.code(), Some(1));
    let written = std::fs::read_dir(w.path("反馈")).unwrap().count();
    assert_eq!(written, 6);
}

#[test]
fn init_starts_a_workspace_and_refuses_an_existing_one() {
    let w = Workdir::new();
    let o = w.run(&[
        "init", "新县", "--county", "新县", "--code", "990102", "--budget", "500000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ws = w.path("新县");
    assert_eq!(
        std::fs::read_to_string(ws.join("county.toml")).unwrap(),
        "# 县级工作区配置(huizong init 生成)\nname = \"新县\"        # 县(市、区)名称\ncode = \"990102\"       # 6位代码(市为4位,省为2位)\nbudget = 500000       # 本年度星级奖励经费预算(元)\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("rules.toml")).unwrap(),
        std::fs::read_to_string(project("templates/rules.toml")).unwrap()
    );
    let month = huizong::read::normalise::Period::this_month().to_string();
    assert!(ws.join(&month).is_dir(), "this month's folder {month}");
    // The roster and scores workbooks are headed as the tool reads them.
    let headers = |f: &str, sheet: &str| -> Vec<String> {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(ws.join(f)).unwrap();
        let r = wb.worksheet_range(sheet).unwrap();
        r.rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    assert_eq!(
        headers("roster.xlsx", "名册"),
        [
            "乡镇(街道)代码",
            "乡镇(街道)",
            "村(社区)代码",
            "村(社区)名称",
            "县(市、区)代码",
            "县(市、区)"
        ]
    );
    assert_eq!(
        headers("county_scores.xlsx", "区级评定"),
        ["村(社区)代码", "村(社区)名称", "区级评定得分"]
    );
    // A budget that is not whole yuan, a name that cannot be a file name:
    // refused in Chinese, nothing made.
    let o = w.run(&[
        "init", "甲县", "--county", "甲县", "--code", "990104", "--budget", "1.5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("“1.5”不是预算金额:请填不小于 0 的整数(元),如 --budget 1100000"),
        "{}",
        stderr(&o)
    );
    let o = w.run(&["init", "甲县", "--county", "测\"县", "--code", "990104"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("错误:--county“测\"县”中有不能用在县名里的字符“\\\"”"),
        "{}",
        stderr(&o)
    );
    assert!(!w.path("甲县").exists());
    // Without --budget the budget is 0, and the clerk is told so.
    let o = w.run(&[
        "init",
        "乙县",
        "--county",
        "乙县",
        "--code",
        "990105",
        "--budget",
        "1,100,000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(w.path("乙县/county.toml"))
        .unwrap()
        .contains("\nbudget = 1100000 "));
    assert!(!stdout(&o).contains("预算为 0 元"), "{}", stdout(&o));
    let o = w.run(&["init", "丙县", "--county", "丙县", "--code", "990106"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("注意:预算为 0 元(没有给出 --budget),星级评定的核拨经费都会是 0。"),
        "{}",
        stdout(&o)
    );
    // An existing workspace is not touched.
    let before = std::fs::read(ws.join("county.toml")).unwrap();
    let o = w.run(&["init", "新县", "--county", "别县", "--code", "990103"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("错误:新县 已经存在且不是空文件夹,init 不会改动已有的工作区。"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(ws.join("county.toml")).unwrap(), before);
}

/// The README's walkthrough, command by command, as a new county clerk
/// follows it (copies stand in for what the clerk types into Excel).
#[test]
fn the_readme_walkthrough_runs_as_written() {
    let w = Workdir::new();
    let readme = std::fs::read_to_string(project("README.md")).unwrap();
    let start = readme.find("## 从零开始").expect("walkthrough section");
    let section = &readme[start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map(|i| i + 3)
        .unwrap_or(section.len())];
    let commands: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("huizong "))
        .collect();
    assert_eq!(
        commands.len(),
        4,
        "init, template, check, consolidate: {section}"
    );
    let samples = w.path("示例");
    copy_samples(&samples);
    for cmd in commands {
        let args: Vec<&str> = cmd
            .split_whitespace()
            .take_while(|a| !a.starts_with('#'))
            .collect();
        let o = w.run(&args);
        assert!(o.status.code() != Some(2), "huizong {cmd}: {}", stderr(&o));
        match args[0] {
            "init" => {
                // The clerk fills in the roster (here: the samples').
                std::fs::copy(samples.join("roster.xlsx"), w.path("示范县/roster.xlsx")).unwrap();
                std::fs::copy(
                    samples.join("county_scores.xlsx"),
                    w.path("示范县/county_scores.xlsx"),
                )
                .unwrap();
                for m in ["2024-05", "2024-06"] {
                    crate::common::copy_dir(&samples.join(m), &w.path(&format!("示范县/{m}")));
                }
            }
            "template" => {
                assert!(
                    w.path("白砂镇_2024-06_月报.xlsx").is_file(),
                    "{}",
                    stdout(&o)
                );
                assert!(
                    stdout(&o).contains("已从 2024-05 的报表 白砂镇_2024-05.xlsx 带入"),
                    "{}",
                    stdout(&o)
                );
            }
            "check" => assert!(stdout(&o).contains("未发现问题"), "{}", stdout(&o)),
            "consolidate" => {
                assert!(
                    stderr(&o).contains("应报 8 个乡镇:已汇总 2"),
                    "{}",
                    stderr(&o)
                );
                assert!(w
                    .path("示范县/输出/2024-06/县级汇总_示范县_2024-06.xlsx")
                    .is_file());
            }
            _ => {}
        }
    }
}
