from ctxtree.cli.app import main

main()
