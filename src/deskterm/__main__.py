from deskterm.launch import main

main()
