//! Validation: precise errors (which op, which field, why) and the limits, plus a check
//! that the committed JSON Schema agrees with the validator on op names and limits.

use ouro_pixel::limits::*;
use ouro_pixel::program::OP_KINDS;
use ouro_pixel::{Op, Rgba, parse_program};
use serde_json::{Value, json};

fn program(ops: Value) -> Value {
    json!({"kind": "pixel_program", "version": 1, "name": "t", "canvas": {"width": 8, "height": 8},
           "palette": {"red": [255, 0, 0], "glass": [0, 0, 255, 100]}, "ops": ops})
}

fn error_of(v: &Value) -> String {
    match parse_program(&v.to_string()) {
        Ok(_) => panic!("accepted {v}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_program_resolves_palette_and_defaults() -> Result<(), ouro_pixel::ValidationError> {
    let p = parse_program(
        &program(json!([
            {"op": "RECT", "x": 0, "y": 0, "width": 2, "height": 2, "color": "glass"},
            {"op": "LINE", "x0": 0, "y0": 0, "x1": 3, "y1": 3, "color": [1, 2, 3]},
            {"op": "WRITE_TEXT", "x": 0, "y": 0, "text": "hi", "color": "red"}
        ]))
        .to_string(),
    )?;
    assert_eq!(
        p.ops[0],
        Op::Rect {
            x: 0,
            y: 0,
            width: 2,
            height: 2,
            color: Rgba([0, 0, 255, 100]),
            stroke: 0
        }
    );
    assert_eq!(
        p.ops[1],
        Op::Line {
            x0: 0,
            y0: 0,
            x1: 3,
            y1: 3,
            color: Rgba([1, 2, 3, 255]),
            width: 1
        }
    );
    assert_eq!(
        p.ops[2],
        Op::Text {
            x: 0,
            y: 0,
            text: "hi".into(),
            color: Rgba([255, 0, 0, 255]),
            scale: 1
        }
    );
    Ok(())
}

#[test]
fn errors_name_the_op_the_field_and_the_reason() {
    let cases = [
        (
            json!([{"op": "FILL", "color": "blue"}]),
            "ops[0].color: unknown palette colour \"blue\" (the palette has: glass, red)",
        ),
        (
            json!([{"op": "FILL", "color": "red"}, {"op": "RECT", "x": 0, "y": 0, "width": -1, "height": 1, "color": "red"}]),
            "ops[1].width: -1 is out of range 0 to 8192",
        ),
        (
            json!([{"op": "PIXEL", "x": 1.5, "y": 0, "color": "red"}]),
            "ops[0].x: must be an integer, found 1.5",
        ),
        (
            json!([{"op": "PIXEL", "x": 1, "color": "red"}]),
            "ops[0].y: missing required field",
        ),
        (json!([{"op": "BLUR"}]), "ops[0].op: unknown op \"BLUR\""),
        (
            json!([{"op": "FILL", "color": "red", "colour": "red"}]),
            "ops[0].colour: unknown field",
        ),
        (
            json!([{"op": "FILL", "color": [1, 2]}]),
            "ops[0].color: a colour has 3 or 4 components, found 2",
        ),
        (
            json!([{"op": "FILL", "color": [1, 2, 300]}]),
            "ops[0].color[2]: a colour component is an integer 0 to 255",
        ),
        (
            json!([{"op": "WRITE_TEXT", "x": 0, "y": 0, "text": "café", "color": "red"}]),
            "ops[0].text: character 'é' (U+00E9) at index 3 is not in the built-in font",
        ),
        (
            json!([{"op": "POLYGON", "points": [[0, 0], [1, 1]], "color": "red"}]),
            "ops[0].points: a polygon has 3 to 1024 points, found 2",
        ),
        (
            json!([{"op": "POLYGON", "points": [[0, 0], [1, 1], [9000, 0]], "color": "red"}]),
            "ops[0].points[2][0]: must be an integer",
        ),
        (
            json!([{"op": "GRADIENT", "x": 0, "y": 0, "width": 1, "height": 1, "from": "red", "to": "red", "direction": "diagonal"}]),
            "ops[0].direction: must be \"horizontal\" or \"vertical\"",
        ),
        (
            json!([{"op": "LINE", "x0": 0, "y0": 0, "x1": 1, "y1": 1, "color": "red", "width": 0}]),
            "ops[0].width: 0 is out of range 1 to 1024",
        ),
        (
            json!({"op": "FILL"}),
            "ops: must be an array, found an object",
        ),
    ];
    for (ops, expected) in cases {
        let err = error_of(&program(ops));
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn document_level_errors() {
    let mut v = program(json!([]));
    v["kind"] = json!("picture");
    assert!(error_of(&v).contains("kind: must be \"pixel_program\""));
    let mut v = program(json!([]));
    v["version"] = json!(2);
    assert!(error_of(&v).contains("version: must be 1, found 2"));
    let mut v = program(json!([]));
    v["canvas"]["width"] = json!(0);
    assert!(error_of(&v).contains("canvas.width: 0 is out of range 1 to 4096"));
    let mut v = program(json!([]));
    v["canvas"]["height"] = json!(4097);
    assert!(error_of(&v).contains("canvas.height: 4097 is out of range 1 to 4096"));
    let mut v = program(json!([]));
    v["palette"]["bad name"] = json!([0, 0, 0]);
    assert!(error_of(&v).contains("palette.bad name: palette names are"));
    assert!(
        parse_program("{not json")
            .unwrap_err()
            .to_string()
            .starts_with("$: not valid JSON")
    );
    assert!(
        parse_program("[]")
            .unwrap_err()
            .to_string()
            .contains("$: must be an object, found an array")
    );
}

#[test]
fn limits_reject_hostile_programs() {
    let too_many = vec![json!({"op": "PIXEL", "x": 0, "y": 0, "color": "red"}); MAX_OPS + 1];
    assert!(error_of(&program(Value::Array(too_many))).contains("more than the limit of 100000"));

    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    assert!(
        error_of(&program(
            json!([{"op": "WRITE_TEXT", "x": 0, "y": 0, "text": long, "color": "red"}])
        ))
        .contains("ops[0].text: has 4097 characters")
    );

    // Full-canvas fills are cheap one by one, but the work budget caps their sum.
    let mut v = program(json!([]));
    v["canvas"] = json!({"width": 4096, "height": 4096});
    v["ops"] = Value::Array(vec![json!({"op": "FILL", "color": "red"}); 257]);
    assert!(error_of(&v).contains("ops[256]: the program costs more than"));

    // Off-canvas ops cost nothing, so many of them are fine.
    let mut v = program(json!([]));
    v["ops"] = Value::Array(vec![
        json!({"op": "RECT", "x": -8192, "y": 0, "width": 8192, "height": 8192, "color": "red"});
        1000
    ]);
    assert!(parse_program(&v.to_string()).is_ok());
}

/// The schema's numbers, found by following a JSON pointer.
fn num(schema: &Value, pointer: &str) -> i64 {
    schema
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("schema has no integer at {pointer}"))
}

#[test]
fn json_schema_parses_and_agrees_with_the_validator() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/pixel-program.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let ops = schema
        .pointer("/$defs/op/oneOf")
        .and_then(Value::as_array)
        .ok_or("no op list")?;
    let names: Vec<&str> = ops
        .iter()
        .filter_map(|o| o.pointer("/properties/op/const").and_then(Value::as_str))
        .collect();
    assert_eq!(names, OP_KINDS);
    assert_eq!(
        num(&schema, "/properties/canvas/properties/width/maximum"),
        MAX_CANVAS_SIDE as i64
    );
    assert_eq!(num(&schema, "/properties/ops/maxItems"), MAX_OPS as i64);
    assert_eq!(
        num(&schema, "/properties/palette/maxProperties"),
        MAX_PALETTE as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/1/properties/x/maximum"),
        MAX_COORD as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/2/properties/width/maximum"),
        MAX_EXTENT as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/3/properties/width/maximum"),
        MAX_LINE_WIDTH as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/5/properties/points/maxItems"),
        MAX_POLYGON_POINTS as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/7/properties/text/maxLength"),
        MAX_TEXT_CHARS as i64
    );
    assert_eq!(
        num(&schema, "/$defs/op/oneOf/7/properties/scale/maximum"),
        MAX_TEXT_SCALE as i64
    );
    // Every op's fields in the schema are exactly the fields the validator accepts: an
    // op using all schema fields (with in-range values) must validate.
    for (i, op) in ops.iter().enumerate() {
        let props = op
            .get("properties")
            .and_then(Value::as_object)
            .ok_or("op without properties")?;
        assert_eq!(
            op.get("additionalProperties"),
            Some(&json!(false)),
            "op {i} allows extra fields"
        );
        let mut o = serde_json::Map::new();
        for (k, p) in props {
            let v = match k.as_str() {
                "op" => p["const"].clone(),
                "points" => json!([[0, 0], [4, 0], [0, 4]]),
                "text" => json!("ok"),
                "direction" => json!("vertical"),
                "color" | "from" | "to" => json!("red"),
                _ => json!(p.get("minimum").and_then(Value::as_i64).unwrap_or(0).max(1)),
            };
            o.insert(k.clone(), v);
        }
        parse_program(&program(json!([o])).to_string())
            .map_err(|e| format!("schema op {i}: {e}"))?;
    }
    Ok(())
}
