# SPDX-License-Identifier: BSD-2-Clause
# The benchmark chart: each variant's median as a ratio to the floor of its
# section (1 = a hand-written socket program), bars from 1, log scale;
# sockredir's bars in red.
# gnuplot -e "data='build/bench/chart.dat'; out='docs/benchmarks.svg'" test/bench/chart.gp
set terminal svg size 1000,900 dynamic font "sans,10"
set output out
set title "sockredir and the tools it replaces: median / floor of the same run (log scale)"
set logscale x 2
set xlabel "ratio to the floor (times: above 1 is slower; sessions/s: below 1 is slower)"
set grid xtics
set ytics nomirror
unset key
set yrange [-1:*] reverse
set style fill solid 0.8 border -1
plot data using 2:0:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($0 - 0.4):($0 + 0.4):3:ytic(1) \
     with boxxyerror lc rgb variable
