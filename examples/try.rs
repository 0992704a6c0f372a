fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let s: mailhop::scenario::Scenario = serde_json::from_str(&text).unwrap();
    let t = mailhop::sim::run(&s).unwrap();
    print!("{}", mailhop::report::render(&s, &t));
    println!("{:?}", mailhop::invariants::check_no_loss(&t));
    println!("{:?}", mailhop::invariants::check_shape(&t));
}
