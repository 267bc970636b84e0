/* SPDX-License-Identifier: BSD-2-Clause */
// reply: the C++ iostreams version of legacy's reply2, with no flush of its
// own ('\n', never std::endl): for each input line a result and a status.
#include <iostream>
#include <string>

int
main()
{
	std::string line;

	while (std::getline(std::cin, line))
		std::cout << "result " << line << '\n' << "status ok\n";
	return 0;
}
