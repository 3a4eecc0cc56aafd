# Size formatting helpers; source this file.

UNIT_BASE=1000
UNIT_NAMES=(B KiB MiB GiB TiB)

# human_size BYTES -> integer size in the largest unit that keeps it >= 1
human_size() {
    local size=$1 i=0
    while (( size >= UNIT_BASE && i < ${#UNIT_NAMES[@]} - 1 )); do
        size=$(( size / UNIT_BASE ))
        i=$(( i + 1 ))
    done
    echo "$size ${UNIT_NAMES[$i]}"
}
