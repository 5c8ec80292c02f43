//! Files handed out: an upload's feedback workbook, this month's
//! template, a consolidation's workbooks and a township's accepted return.

use super::{Fail, Period, Service, Session};
use crate::serve::{engine, store};

impl Service {
    /// The annotated feedback workbook of an upload: (file name, bytes).
    pub(crate) fn feedback(&self, s: &Session, id: i64) -> Result<(String, Vec<u8>), Fail> {
        let u = self.upload(s, id)?;
        if u.findings.is_empty() {
            return Err(Fail::not_found("这份报表没有发现问题,没有反馈工作簿"));
        }
        let period = Period::parse(&u.period).unwrap_or(self.period());
        let path = store::version_path(&self.setup.workspace, period, &u.township, &u.stored);
        let bytes =
            std::fs::read(&path).map_err(|e| Fail::internal(format!("找不到上传的文件({e})")))?;
        let prev = self.previous(period);
        let loaded = engine::check_bytes(
            &self.setup,
            &u.file,
            &path,
            &bytes,
            period,
            prev.returns.get(&u.township).map(|r| r.as_ref()),
        );
        // The pipeline names it `<文件名>_校验结果.xlsx`, as `check --feedback`.
        let dir = store::scratch_dir(&self.setup.workspace)
            .map_err(|e| Fail::internal(format!("无法创建临时文件夹({e})")))?;
        let r = engine::write_feedback(&self.setup, &loaded, period, &dir)
            .map_err(|e| Fail::internal(format!("{e:#}")))
            .and_then(|p| p.ok_or_else(|| Fail::not_found("这份报表没有发现问题,没有反馈工作簿")))
            .and_then(|p| {
                std::fs::read(&p)
                    .map(|b| (engine::file_name(&p), b))
                    .map_err(|e| Fail::internal(e.to_string()))
            });
        let _ = std::fs::remove_dir_all(&dir);
        self.audit(
            Some(s),
            None,
            None,
            "下载反馈",
            Some(&u.township),
            Some(&u.period),
            Some(&u.sha256),
            "成功",
        );
        r
    }

    /// This month's pre-filled template for the session's township.
    pub(crate) fn template(&self, s: &Session) -> Result<(String, Vec<u8>), Fail> {
        let township = self.township_only(s, "下载模板")?.to_string();
        let period = self.period();
        let tmp = store::scratch_path(&self.setup.workspace, "xlsx");
        let r = engine::write_template(&self.setup, &township, period, &tmp)
            .map_err(|e| Fail::internal(format!("{e:#}")))
            .and_then(|name| {
                std::fs::read(&tmp)
                    .map(|b| (name, b))
                    .map_err(|e| Fail::internal(e.to_string()))
            });
        let _ = std::fs::remove_file(&tmp);
        r
    }

    /// A consolidation output: (file name, bytes). `kind`: county, tiers, feedback (zip).
    pub(crate) fn output(
        &self,
        s: &Session,
        period: &str,
        kind: &str,
    ) -> Result<(String, Vec<u8>), Fail> {
        self.county_only(s, "下载汇总结果")?;
        let p = Period::parse(period).ok_or_else(|| Fail::bad("月份应写成 YYYY-MM"))?;
        let dir = engine::output_folder(&self.setup, p);
        let county = &self.setup.county.name;
        let read = |name: String| -> Result<(String, Vec<u8>), Fail> {
            let bytes = std::fs::read(dir.join(&name))
                .map_err(|_| Fail::not_found(format!("还没有 {name}。请先汇总")))?;
            Ok((name, bytes))
        };
        let (county_name, tiers_name) = engine::output_names(&self.setup, p);
        let r = match kind {
            "county" => read(county_name),
            "tiers" => read(tiers_name),
            "feedback" => store::zip_folder(&engine::feedback_folder(&self.setup, p))
                .map(|b| (format!("反馈_{county}_{p}.zip"), b))
                .map_err(|e| Fail::not_found(format!("没有反馈工作簿({e})"))),
            _ => Err(Fail::not_found("没有这种汇总结果")),
        };
        if let Ok((name, _)) = &r {
            self.audit(
                Some(s),
                None,
                None,
                "下载汇总结果",
                None,
                Some(&p.to_string()),
                None,
                name,
            );
        }
        r
    }

    /// The township's accepted return file of the open period.
    pub(crate) fn accepted_file(
        &self,
        s: &Session,
        township: &str,
    ) -> Result<(String, Vec<u8>), Fail> {
        if s.township.as_ref().is_some_and(|t| t != township) {
            return Err(self.forbid(
                s,
                &format!("其他乡镇 {township} 的报表文件"),
                Some(township),
            ));
        }
        let period = self.period();
        let scan = self.folder(period);
        let Some(file) = scan.townships.get(township).and_then(|t| t.file.clone()) else {
            return Err(Fail::not_found("该乡镇本月没有报表文件"));
        };
        let bytes = std::fs::read(self.setup.workspace.join(period.to_string()).join(&file))
            .map_err(|_| Fail::not_found("文件已不在本期文件夹中"))?;
        self.audit(
            Some(s),
            None,
            None,
            "下载报表",
            Some(township),
            Some(&period.to_string()),
            None,
            &file,
        );
        Ok((file, bytes))
    }
}
