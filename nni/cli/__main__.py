from nni.cli import main

main()
