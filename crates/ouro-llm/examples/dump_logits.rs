//! Debug helper: prints the logits for a prompt token list given as JSON on stdin.
use ouro_llm::model::{Logits, Model};
use ouro_llm::threadpool::ThreadPool;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let v: serde_json::Value = serde_json::from_reader(std::io::stdin()).unwrap();
    let toks: Vec<u32> = v["prompt_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect();
    let model = Model::load(&args[1]).unwrap();
    let pool = ThreadPool::new(2).unwrap();
    let mut st = model.new_state(toks.len() + 1);
    let one_by_one = args.len() > 2;
    let logits = if one_by_one {
        let mut l = Vec::new();
        for t in &toks {
            l = model
                .forward(&mut st, &[*t], Logits::Last, &pool)
                .unwrap()
                .to_vec();
        }
        l
    } else {
        model
            .forward(&mut st, &toks, Logits::Last, &pool)
            .unwrap()
            .to_vec()
    };
    println!("{}", serde_json::to_string(&logits).unwrap());
}
