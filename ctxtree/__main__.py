from ctxtree.cli.entry import main

main()
