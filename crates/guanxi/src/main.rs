fn main() -> anyhow::Result<()> {
    guanxi::cli::main()
}
