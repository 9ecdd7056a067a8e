# Rebuild: as -o e.o exit-with.s && ld -static -s -N --build-id=none -o exit-with e.o && base64 -w0 exit-with (into in-dyno.ts).
# berth-exit-with PID STATUS: makes process PID exit with STATUS (exit_group injected through ptrace).
# x86-64 Linux, no libc. Exits 0 once the process was told, 1 when ptrace failed.
        .globl _start
        .text
_start:
        mov 16(%rsp), %rdi
        call atoi
        mov %rax, %r12
        mov 24(%rsp), %rdi
        call atoi
        mov %rax, %r13
        mov $16, %edi               # PTRACE_ATTACH
        xor %edx, %edx
        call trace
        mov $61, %eax               # wait4(pid, &status, __WALL, 0)
        mov %r12, %rdi
        lea status(%rip), %rsi
        mov $0x40000000, %edx
        xor %r10d, %r10d
        syscall
        test %rax, %rax
        js fail
        mov $12, %edi               # PTRACE_GETREGS
        lea regs(%rip), %r10
        call trace
        mov $4, %edi                # PTRACE_POKETEXT at rip: a syscall instruction (0f 05)
        mov regs+128(%rip), %rdx
        mov $0x050f, %r10
        call trace
        lea regs(%rip), %r10
        movq $231, 80(%r10)         # rax: exit_group
        mov %r13, 112(%r10)         # rdi: the status
        movq $-1, 120(%r10)         # orig_rax: no syscall restart
        mov $13, %edi               # PTRACE_SETREGS
        call trace
        mov $17, %edi               # PTRACE_DETACH, no signal
        xor %r10d, %r10d
        call trace
        xor %edi, %edi
        jmp exit
fail:
        mov $1, %edi
exit:
        mov $60, %eax
        syscall
# ptrace(%rdi request, pid r12, %rdx addr, %r10 data); fails the program on an error
trace:
        mov $101, %eax
        mov %r12, %rsi
        syscall
        test %rax, %rax
        js fail
        ret
# unsigned decimal at %rdi -> %rax
atoi:
        xor %eax, %eax
1:      movzbl (%rdi), %ecx
        sub $48, %ecx
        cmp $9, %ecx
        ja 2f
        imul $10, %rax
        add %rcx, %rax
        inc %rdi
        jmp 1b
2:      ret
        .bss
status: .skip 8
regs:   .skip 216
