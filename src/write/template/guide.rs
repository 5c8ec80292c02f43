//! 填报说明, the template's first sheet: how to fill every sheet and
//! column, the rules a township can check itself against, and how to
//! explain a warning — all written from the schema and the policy, so the
//! guide never disagrees with the checks.

use super::*;

/// Writes the instructions top to bottom: paragraphs across A:C, tables in
/// A, B, C. Its formats are made once (every feedback workbook writes a
/// guide too).
struct Guide<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    title: Format,
    heading: Format,
    para: Format,
    header: Format,
    cell: Format,
}

pub(super) const GUIDE_WIDTHS: [f64; 3] = [24.0, 10.0, 72.0];

/// A line across A:C.
#[derive(Clone, Copy)]
enum Line {
    Title,
    Heading,
    Para,
}

impl Guide<'_> {
    fn merged(&mut self, text: &str, kind: Line, min_height: f64) -> Result<(), XlsxError> {
        let width: f64 = GUIDE_WIDTHS.iter().sum();
        let lines = style::wrapped_lines(text, width);
        let format = match kind {
            Line::Title => &self.title,
            Line::Heading => &self.heading,
            Line::Para => &self.para,
        };
        self.ws
            .merge_range(self.row, 0, self.row, 2, text, format)?;
        self.ws
            .set_row_height(self.row, (16.0 * lines as f64 + 2.0).max(min_height))?;
        self.row += 1;
        Ok(())
    }

    fn title(&mut self, text: &str) -> Result<(), XlsxError> {
        self.merged(text, Line::Title, 28.0)
    }

    fn heading(&mut self, text: &str) -> Result<(), XlsxError> {
        self.row += 1;
        self.merged(text, Line::Heading, 20.0)
    }

    fn para(&mut self, text: &str) -> Result<(), XlsxError> {
        self.merged(text, Line::Para, 18.0)
    }

    fn table_header(&mut self, cells: [&str; 3]) -> Result<(), XlsxError> {
        for (c, t) in cells.iter().enumerate() {
            self.ws
                .write_string_with_format(self.row, c as u16, *t, &self.header)?;
        }
        self.row += 1;
        Ok(())
    }

    fn table_row(&mut self, cells: [&str; 3]) -> Result<(), XlsxError> {
        let mut lines = 1;
        for (c, t) in cells.iter().enumerate() {
            self.ws
                .write_string_with_format(self.row, c as u16, *t, &self.cell)?;
            lines = lines.max(style::wrapped_lines(t, GUIDE_WIDTHS[c]));
        }
        self.ws
            .set_row_height(self.row, 16.0 * lines as f64 + 2.0)?;
        self.row += 1;
        Ok(())
    }
}

/// Write the guide; the row after its last.
pub(super) fn write_guide(ws: &mut Worksheet, policy: &Policy) -> Result<u32, XlsxError> {
    for (c, w) in GUIDE_WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let village_sheets: Vec<String> = schema::VILLAGE_SHEETS
        .iter()
        .map(|s| format!("“{}”", s.name))
        .collect();
    let mut g = Guide {
        ws,
        row: 0,
        title: style::title(),
        heading: style::bold().set_font_size(12),
        para: style::wrap(),
        header: style::header(),
        cell: style::wrap().set_border(rust_xlsxwriter::FormatBorder::Thin),
    };
    g.title("乡镇(街道)党群服务中心月报 填报说明")?;
    g.para(&format!(
        "模板版本:{TEMPLATE_VERSION}。本模板由县里的汇总工具 huizong 生成,请不要修改工作表名称和表头。"
    ))?;

    g.heading("一、怎样填写")?;
    let steps = [
        format!(
            "1. 先填“{}”,再逐表填写。每个村(社区)在{}四张表中各占一行,四张表中的村(社区)代码和名称要一致。",
            schema::COVER_SHEET,
            village_sheets.join("")
        ),
        format!(
            "2. “{}”每块仍悬挂的牌子填一行;某村的行数须等于它在“{}”中的“{}”。",
            schema::SIGN_DETAIL.name,
            schema::SIGNS.name,
            schema::SIGNS.column(Col::SignsNow).map(|(_, c)| c.header).unwrap_or("")
        ),
        "3. 表头行和标题行已锁定(工作表保护没有密码)。可以插入行、删除行、排序和筛选,也可以调整列宽;请不要增删列或改动表头文字。".to_string(),
        "4. 数字单元格只填阿拉伯数字,不要带单位或文字(如“12个”“十二”);数量为 0 时请填 0,不要空着——必填的单元格空着会被判为错误。".to_string(),
        "5. 村(社区)代码是12位统计用区划代码,代码列已设为文本格式,直接输入即可。从其他表格复制时,请用“选择性粘贴—数值”,以免带入格式或公式。".to_string(),
        "6. 选中单元格时会显示该列的填写要求;输入不符合要求时会弹出提示。“是/否”“悬挂位置”“类别”等列请从下拉列表中选择。".to_string(),
        format!(
            "7. 填写时表格会自动自查:一行的数据前后矛盾时,整行会标红。{}",
            live_check_words()
        ),
        format!(
            "8. “{ROW_NO_HEADER}”列只是行号,可以不填,工具不读取;表头上方的标题行也不读取。"
        ),
    ];
    for s in &steps {
        g.para(s)?;
    }

    g.heading("二、各工作表填写要求")?;
    g.para(&format!(
        "【{}】A列是项目,B列填写内容,C列是填写说明。项目名称请勿修改。",
        schema::COVER_SHEET
    ))?;
    g.table_header(["项目", "是否必填", "填写要求"])?;
    for c in &COVER {
        let req = if c.id == CoverField::TemplateVersion {
            format!("{}(当前为 {TEMPLATE_VERSION})", c.help)
        } else {
            c.help.to_string()
        };
        g.table_row([c.label, required_word(c.required), &req])?;
    }
    for sheet in DATA_SHEETS {
        g.row += 1;
        g.para(&format!("【{}】{}", sheet.name, sheet.help))?;
        g.table_header(["表头", "是否必填", "填写要求"])?;
        g.table_row([ROW_NO_HEADER, "可不填", "行号,可不填,工具不读取"])?;
        for col in sheet.columns {
            g.table_row([
                col.header,
                required_word(col.required),
                &column_requirement(col, policy),
            ])?;
        }
    }

    g.heading("三、合计行")?;
    g.para(&format!(
        "村(社区)数据下方可以加一行合计:在该行的“{ROW_NO_HEADER}”或“村(社区)名称”单元格写“合计”(或“总计”),代码列和是/否列可以空着。合计行不算作村(社区);工具会核对合计行的数量、面积、金额列是否等于各村之和(申报星级和各项得分不核对)。写“小计”的行不核对,直接跳过。"
    ))?;

    g.heading("四、对“提示”作出说明")?;
    g.para(&format!(
        "校验发现的问题分为“错误”和“提示”两类。错误说明数据不可信,必须在表中改正后重新报送。提示是需要关注的情况(如数值异常、负面清单标牌仍在悬挂),如确属实际情况,请在“{}”表中逐条填写规则编号(如 P05)、村(社区)代码和说明;有说明的提示标为“已说明”,仍会列出,但不计为待处理。错误不能用说明代替修改。可以说明的规则编号:{}。",
        schema::EXPLANATIONS.name,
        warning_codes().join("、")
    ))?;

    g.heading("五、报送前自查")?;
    g.para("报送前可以自查:在县里的网上报送页面上传本表,或把本表拖到县里提供的汇总工具 huizong 的图标上,会列出每个问题所在的工作表、单元格、规则编号和修改方法,并生成一份把问题单元格标红(错误)或标黄(提示)并附批注的反馈工作簿(在这份工作簿里改正后可以直接报送)。没有“错误”即可报送。")?;

    g.ws.protect();
    Ok(g.row)
}

/// The codes of warnings a township may explain.
pub(super) fn warning_codes() -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| r.level == Level::Warning)
        .map(|r| r.code.as_str())
        .collect()
}
