from benchmarks.tuners.run import main

main()
