//! async-graphql's own messages (a query that does not parse or validate, an argument or
//! variable of the wrong type, the depth and complexity limits) in Chinese, with the input
//! field they are about in `extensions.field`, as the app's own errors have. The app shows
//! `message` to the person holding the phone; the original English stays in
//! `extensions.detail` for the developer.
use std::sync::LazyLock;

use async_graphql::{ServerError, Value};
use regex::Regex;

use crate::error::ErrorCode;

struct Rule {
    pattern: Regex,
    /// The message and the `field`, from the pattern's captures.
    render: fn(&regex::Captures<'_>) -> (String, Option<String>),
}

fn rule(pattern: &str, render: fn(&regex::Captures<'_>) -> (String, Option<String>)) -> Rule {
    Rule { pattern: Regex::new(pattern).unwrap_or_else(|e| panic!("message pattern {pattern}: {e}")), render }
}

/// `input.satisfaction` from an argument and a field below it.
fn join(arg: &str, field: &str) -> String {
    format!("{arg}.{field}")
}

/// What a scalar looks like, for the messages about one that did not parse.
fn shape(type_name: &str) -> &'static str {
    match type_name.trim_end_matches('!') {
        "NaiveDate" => "日期，格式为 YYYY-MM-DD，如 2026-11-27",
        "DateTime" => "时间，RFC 3339 格式，如 2026-11-27T09:00:00+08:00",
        "Int" => "整数",
        "Float" => "数字",
        "Boolean" => "true 或 false",
        "String" => "字符串",
        "ID" | "UUID" => "编号（字符串）",
        "Upload" => "上传的文件",
        _ => "",
    }
}

fn expected(type_name: &str) -> String {
    match shape(type_name) {
        "" => format!("应为 {type_name} 类型"),
        shape => format!("应为{shape}"),
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    vec![
        rule(
            r#"^Invalid value for argument "([^"]+)", field "([^"]+)" of type "([^"]+)" is required but not provided"#,
            |c| (format!("缺少必填项 {}（{}）", join(&c[1], &c[2]), &c[3]), Some(join(&c[1], &c[2]))),
        ),
        rule(
            r#"^Invalid value for argument "([^"]+)", enumeration type "([^"]+)" does not contain the value "([^"]*)""#,
            |c| (format!("{} 的取值“{}”不是 {} 的可选值", &c[1], &c[3], &c[2]), Some(c[1].to_owned())),
        ),
        rule(r#"^Invalid value for argument "([^"]+)", unknown field "([^"]+)" of type "([^"]+)""#, |c| {
            (format!("{} 没有字段 {}", &c[1], &c[2]), Some(join(&c[1], &c[2])))
        }),
        rule(r#"^Invalid value for argument "([^"]+)", expected type "([^"]+)""#, |c| {
            (format!("{} {}", &c[1], expected(&c[2])), Some(c[1].to_owned()))
        }),
        rule(r#"^Invalid value for argument "([^"]+)", (.*)$"#, |c| {
            (format!("参数 {} 的值不正确：{}", &c[1], &c[2]), Some(c[1].to_owned()))
        }),
        rule(r#"^Failed to parse "([^"]+)": (.*)$"#, |c| match shape(&c[1]) {
            "" => (format!("无法解析 {}：{}", &c[1], &c[2]), None),
            shape => (format!("格式不正确：应为{shape}"), None),
        }),
        rule(r#"^Expected input type "([^"]+)", found (.*?)\.?$"#, |c| {
            (format!("{}，收到的是 {}", expected(&c[1]), &c[2]), None)
        }),
        rule(r#"^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required but not provided"#, |c| {
            (format!("{} 缺少必填参数 {}", &c[1], &c[2]), Some(c[2].to_owned()))
        }),
        rule(r#"^Unknown field "([^"]+)" on type "([^"]+)"(?:\. Did you mean (.*)\?)?"#, |c| {
            let hint = c.get(3).map(|m| format!("，是否想用 {}？", m.as_str())).unwrap_or_default();
            (format!("{} 上没有字段 {}{hint}", &c[2], &c[1]), Some(c[1].to_owned()))
        }),
        rule(r#"^Unknown argument "([^"]+)" on field "([^"]+)""#, |c| {
            (format!("{} 没有参数 {}", &c[2], &c[1]), Some(c[1].to_owned()))
        }),
        rule(r#"^Unknown type "([^"]+)""#, |c| (format!("未知类型 {}", &c[1]), None)),
        rule(r#"^Variable "\$([^"]+)" is not used"#, |c| {
            (format!("变量 ${} 定义了但没有用到", &c[1]), Some(c[1].to_owned()))
        }),
        rule(r#"^Variable \$?(\S+) is not defined\."#, |c| {
            (format!("变量 ${} 未定义或未提供", &c[1]), Some(c[1].to_owned()))
        }),
        rule(r"^Query is nested too deep\.?$", |_| ("查询嵌套层级过多，请减少嵌套".to_owned(), None)),
        rule(r"^Query is too complex\.?$", |_| ("查询过于复杂，请减少字段或每页条数".to_owned(), None)),
        rule(r"^Unknown operation named (.*)$", |c| {
            (format!("文档中没有名为 {} 的操作", &c[1]), Some("operationName".into()))
        }),
        rule(r"^Operation name required in request\.?$", |_| {
            ("文档中有多个操作，请用 operationName 指明要执行哪一个".to_owned(), Some("operationName".into()))
        }),
        // A parse error: " --> line:column", the query's line, then what was expected.
        rule(r"(?s)^\s*--> (\d+):(\d+).*?= (.*)$", |c| {
            (format!("查询文本有语法错误（第{}行第{}列）：{}", &c[1], &c[2], c[3].trim()), Some("query".into()))
        }),
    ]
});

/// The Chinese message of an error async-graphql made (one without `extensions.code`):
/// sets `code` (`BAD_USER_INPUT`: these are all the client's mistakes), `field` when the
/// error names one, and keeps the original in `detail`.
pub fn localize(err: &mut ServerError) {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_some() {
        return;
    }
    ext.set("code", ErrorCode::BadUserInput.as_str());
    let original = err.message.clone();
    let found = RULES.iter().find_map(|r| r.pattern.captures(&original).map(|c| (r.render)(&c)));
    let (message, field) = found.unwrap_or_else(|| (format!("请求有误：{original}"), None));
    if let Some(field) = field {
        ext.set("field", field);
    }
    ext.set("detail", Value::String(original));
    err.message = message;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(message: &str) -> (String, Option<String>) {
        let mut err = ServerError::new(message, None);
        localize(&mut err);
        let field = err.extensions.as_ref().and_then(|e| e.get("field")).map(|v| v.to_string().replace('"', ""));
        (err.message, field)
    }

    #[test]
    fn what_the_app_meets_in_chinese_with_the_field() {
        let (m, f) = said(
            r#"Invalid value for argument "input", field "satisfaction" of type "Satisfaction!" is required but not provided"#,
        );
        assert_eq!(m, "缺少必填项 input.satisfaction（Satisfaction!）");
        assert_eq!(f.as_deref(), Some("input.satisfaction"));
        let (m, _) = said(r#"Failed to parse "NaiveDate": input contains invalid characters"#);
        assert!(m.contains("YYYY-MM-DD"), "{m}");
        let (m, _) = said("Query is nested too deep.");
        assert_eq!(m, "查询嵌套层级过多，请减少嵌套");
        let (m, f) = said(r#"Unknown field "nme" on type "User". Did you mean "name"?"#);
        assert_eq!(m, r#"User 上没有字段 nme，是否想用 "name"？"#);
        assert_eq!(f.as_deref(), Some("nme"));
        let (m, f) = said(" --> 1:13\n  |\n1 | { me { name \n  |             ^---\n  |\n  = expected selection_set");
        assert_eq!(m, "查询文本有语法错误（第1行第13列）：expected selection_set");
        assert_eq!(f.as_deref(), Some("query"));
        let (m, _) = said("something new");
        assert_eq!(m, "请求有误：something new");
    }

    #[test]
    fn errors_with_a_code_are_left_alone() {
        let mut err = ServerError::new("手机号格式不正确", None);
        err.extensions.get_or_insert_with(Default::default).set("code", "BAD_USER_INPUT");
        localize(&mut err);
        assert_eq!(err.message, "手机号格式不正确");
    }
}
